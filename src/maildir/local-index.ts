// What the local Maildir already holds, keyed by unique name. A reader moves new/X to cur/X:2,S, so a
// message is found by the part before ':' in either directory, never by its full name.
import { readdirSync } from 'node:fs';
import type { MailboxPaths } from './layout.js';
import { joinName, uniqueName } from './layout.js';

export interface LocalEntry {
  readonly dir: 'new' | 'cur';
  readonly name: Buffer;
  readonly path: Buffer;
}

/**
 * Names are kept as latin1 strings (one char per byte, exact for any bytes, and compact in V8) rather
 * than Buffers: 100,000 messages must not cost hundreds of MB. Entries are rebuilt on lookup.
 */
export class LocalIndex {
  readonly #byUnique = new Map<string, string[]>();
  readonly #paths: Pick<MailboxPaths, 'new' | 'cur'>;

  constructor(paths: Pick<MailboxPaths, 'new' | 'cur'>) {
    this.#paths = paths;
  }

  add(dir: 'new' | 'cur', name: Buffer): void {
    const key = uniqueName(name).toString('latin1');
    const stored = `${dir === 'new' ? 'n' : 'c'}${name.toString('latin1')}`;
    const list = this.#byUnique.get(key);
    if (list === undefined) this.#byUnique.set(key, [stored]);
    else list.push(stored);
  }

  find(name: Buffer): LocalEntry[] {
    const list = this.#byUnique.get(uniqueName(name).toString('latin1'));
    if (list === undefined) return [];
    return list.map((stored) => {
      const dir = stored[0] === 'n' ? 'new' : 'cur';
      const entryName = Buffer.from(stored.slice(1), 'latin1');
      return { dir, name: entryName, path: joinName(dir === 'new' ? this.#paths.new : this.#paths.cur, entryName) };
    });
  }
}

export function scanLocal(paths: Pick<MailboxPaths, 'new' | 'cur'>): LocalIndex {
  const index = new LocalIndex(paths);
  for (const dir of ['new', 'cur'] as const) {
    for (const name of readdirSync(dir === 'new' ? paths.new : paths.cur, { encoding: 'buffer' })) {
      if (name[0] === 0x2e) continue; // dot-files are not messages in a Maildir
      index.add(dir, name);
    }
  }
  return index;
}
