// The edge of `syncmail verify` on this machine: the files in the new/ and cur/ of each Maildir,
// and the inode of each file whose unique name is there more than once (hard links are one file;
// only those names need telling apart, so a Maildir of 100,000 messages costs two readdirs, not
// 100,000 lstats).
import { LocalIoError } from '../errors.js';
import type { MaildirFs } from '../maildir/fs.js';
import { joinName, uniqueName } from '../maildir/layout.js';
import { type Listings, type LocalFile, repeatedNames, type Sub } from './checks.js';

const SUBS: readonly Sub[] = ['new', 'cur'];

function cannotList(dir: string, error: unknown): LocalIoError {
  return new LocalIoError(
    `cannot list ${dir}: ${(error as Error).message}`,
    'verify only reads the Maildirs: check their permissions',
    'local-maildir',
  );
}

/**
 * A Maildir's regular files; a new/ or cur/ that is not there has none (a folder nothing went to).
 */
function listMaildir(fs: MaildirFs, maildir: string): LocalFile[] {
  const files: LocalFile[] = [];
  for (const sub of SUBS) {
    const dir = `${maildir}/${sub}`;
    if (fs.lstat(dir)?.isDirectory() !== true) continue;
    let entries: ReturnType<MaildirFs['entries']>;
    try {
      entries = fs.entries(dir);
    } catch (error) {
      throw cannotList(dir, error);
    }
    for (const e of entries)
      if (e.isFile() && e.name[0] !== 0x2e) files.push({ sub, name: e.name });
  }
  return files;
}

export function listMaildirs(fs: MaildirFs, maildirs: readonly string[]): Listings {
  const bare = new Map(maildirs.map((m) => [m, listMaildir(fs, m)]));
  const repeated = repeatedNames(bare);
  const listings = new Map<string, LocalFile[]>();
  for (const [maildir, files] of bare) {
    const out: LocalFile[] = [];
    for (const f of files) {
      if (!repeated.has(uniqueName(f.name).toString('latin1'))) {
        out.push(f);
        continue;
      }
      // Gone since the readdir (a reader moved or deleted it): it is wherever it went, or nowhere.
      const info = fs.lstat(joinName(`${maildir}/${f.sub}`, f.name));
      if (info?.isFile() === true) out.push({ ...f, inode: `${info.dev}:${info.ino}` });
    }
    listings.set(maildir, out);
  }
  return listings;
}
