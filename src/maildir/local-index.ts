// What the local Maildir already holds, keyed by unique name. A reader moves new/X to cur/X:2,S, so a
// message is found by the part before ':' in either directory, never by its full name.
import { readdir } from 'node:fs/promises';
import type { MailboxPaths } from './layout.js';
import { joinName, uniqueName } from './layout.js';

export interface LocalEntry {
  readonly dir: 'new' | 'cur';
  readonly name: Buffer;
  readonly path: Buffer;
}

export class LocalIndex {
  readonly #byUnique = new Map<string, LocalEntry[]>();

  add(entry: LocalEntry): void {
    const key = uniqueName(entry.name).toString('latin1');
    const list = this.#byUnique.get(key);
    if (list === undefined) this.#byUnique.set(key, [entry]);
    else list.push(entry);
  }

  find(name: Buffer): readonly LocalEntry[] {
    return this.#byUnique.get(uniqueName(name).toString('latin1')) ?? [];
  }

  get size(): number {
    return this.#byUnique.size;
  }
}

export async function scanLocal(paths: MailboxPaths): Promise<LocalIndex> {
  const index = new LocalIndex();
  for (const dir of ['new', 'cur'] as const) {
    const base = dir === 'new' ? paths.new : paths.cur;
    for (const name of await readdir(base, { encoding: 'buffer' })) {
      if (name[0] === 0x2e) continue; // dot-files are not messages in a Maildir
      index.add({ dir, name, path: joinName(base, name) });
    }
  }
  return index;
}
