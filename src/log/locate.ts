// Where a delivered message is now, and its headers: at the `path` the log has, or, once a mail
// reader moved it to cur/ or changed its flags, under the same unique name (before ':') in that
// Maildir's cur/ or new/. The disk edge of `syncmail log`; a message that is gone is not an error,
// only unknown.
import type { MaildirFs } from '../maildir/fs.js';
import { joinName, uniqueName } from '../maildir/layout.js';
import { parseHeaders, readHeaderBlock } from '../rules/headers.js';
import type { Headers } from './query.js';

const HEADERS_READ = 64 * 1024;
const SLASH = 0x2f;

export class MessageFinder {
  readonly #fs: MaildirFs;
  /**
   * Directory → unique name (base64) → file name: each cur/ and new/ is listed once per command.
   */
  readonly #listings = new Map<string, Map<string, Buffer>>();

  constructor(fs: MaildirFs) {
    this.#fs = fs;
  }

  #listing(dir: string): Map<string, Buffer> {
    let names = this.#listings.get(dir);
    if (names === undefined) {
      names = new Map();
      try {
        for (const n of this.#fs.names(dir)) names.set(uniqueName(n).toString('base64'), n);
      } catch {
        // No such directory (a removed folder): nothing is there.
      }
      this.#listings.set(dir, names);
    }
    return names;
  }

  /** The message file now, or undefined when it is nowhere to be found. */
  find(logged: Buffer): Buffer | undefined {
    if (this.#fs.lstat(logged)?.isFile()) return logged;
    const slash = logged.lastIndexOf(SLASH);
    const parentSlash = slash > 0 ? logged.lastIndexOf(SLASH, slash - 1) : -1;
    if (parentSlash < 0) return undefined;
    const sub = logged.subarray(parentSlash + 1, slash).toString('latin1');
    if (sub !== 'new' && sub !== 'cur') return undefined;
    const maildir = logged.subarray(0, parentSlash);
    // A Maildir whose path is not UTF-8 cannot be named with a string for listing: not searched.
    if (Buffer.from(maildir.toString('utf8')).compare(maildir) !== 0) return undefined;
    const key = uniqueName(logged.subarray(slash + 1)).toString('base64');
    for (const dir of ['cur', 'new']) {
      const d = `${maildir.toString('utf8')}/${dir}`;
      const name = this.#listing(d).get(key);
      if (name !== undefined) return joinName(d, name);
    }
    return undefined;
  }
}

/** Subject and Message-ID of the message file (nulls for what it lacks); undefined: unreadable. */
export function readHeaders(fs: MaildirFs, file: Buffer): Headers | undefined {
  let block: Buffer;
  try {
    block = readHeaderBlock(fs, file, HEADERS_READ).bytes;
  } catch {
    return undefined;
  }
  const view = parseHeaders(block, block.length);
  return {
    subject: view.values('subject')[0] ?? null,
    messageId: view.values('message-id')[0] ?? null,
  };
}
