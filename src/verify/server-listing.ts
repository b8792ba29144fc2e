// The edge of `syncmail verify` on the server: the files in a mailbox's server new/ and cur/,
// listed once, read-only. Over ssh it is one `rsync --list-only` with the sync's own transport (the
// dry run's listing, rsync/argv.ts listArgv: the same ssh, timeouts and rsyncArgs, so it works
// under rrsync too) and cur/'s files added; a failure is told by the sync's own classifier. A
// local-path remote is read directly.

import type { Config, Mailbox } from '../config/types.js';
import { InternalError } from '../errors.js';
import type { MaildirFs } from '../maildir/fs.js';
import { PARTIAL_DIR } from '../maildir/layout.js';
import { listArgv, rsyncEnv } from '../rsync/argv.js';
import { runListing } from '../rsync/listing.js';
import { parseListLine } from '../rsync/parse-list.js';
import type { ServerFile, ServerListing, Sub } from './checks.js';

const AGAIN = 'run syncmail verify again later (--offline checks only the local side)';

type ListConfig = Pick<Config, 'connectTimeout' | 'ioTimeout' | 'maxMinutes'>;

/** new/ and cur/ and the files directly in them; nothing in tmp/ or deeper. */
const VERIFY_FILTERS = [
  `--filter=- /new/${PARTIAL_DIR}/`,
  '--filter=+ /new/',
  '--filter=+ /new/*',
  '--filter=+ /cur/',
  '--filter=+ /cur/*',
  '--filter=- *',
];

/** The dry run's listing command with verify's filters in place of its own. Pure. */
export function verifyListArgv(mailbox: Mailbox, config: ListConfig): string[] {
  const argv = listArgv(mailbox, config);
  const first = argv.findIndex((a) => a.startsWith('--filter='));
  const last = argv.indexOf('--filter=- *', first);
  if (first === -1 || last === -1)
    throw new InternalError(
      `internal error: the listing command has no filters to replace: ${argv.join(' ')}`,
    );
  return [...argv.slice(0, first), ...VERIFY_FILTERS, ...argv.slice(last + 1)];
}

/** The regular, non-dot files directly in new/ and cur/ of a --list-only listing. Pure. */
export function serverFiles(lines: Iterable<string>): ServerFile[] {
  const files: ServerFile[] = [];
  for (const line of lines) {
    const entry = parseListLine(line);
    if (entry?.type !== 'file') continue;
    const slash = entry.path.indexOf(0x2f);
    const sub = entry.path.subarray(0, slash).toString('latin1');
    const name = entry.path.subarray(slash + 1);
    if ((sub !== 'new' && sub !== 'cur') || name.length === 0 || name.includes(0x2f)) continue;
    if (name[0] !== 0x2e) files.push({ sub, name });
  }
  return files;
}

function listLocal(fs: MaildirFs, root: string): ServerListing {
  const files: ServerFile[] = [];
  for (const sub of ['new', 'cur'] as const satisfies readonly Sub[]) {
    try {
      for (const e of fs.entries(`${root.replace(/\/+$/, '')}/${sub}`))
        if (e.isFile() && e.name[0] !== 0x2e) files.push({ sub, name: e.name });
    } catch (error) {
      return {
        kind: 'failed',
        message: `cannot list ${root}/${sub}: ${(error as Error).message}`,
        hint: 'check the mailbox\'s "remote" in the config',
      };
    }
  }
  return { kind: 'listed', files };
}

async function listOverSsh(
  mailbox: Mailbox,
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ServerListing> {
  const { lines, timedOut, outcome } = await runListing(
    mailbox,
    config,
    verifyListArgv(mailbox, config),
    rsyncEnv(env),
    // A listing of a big new/ is longer than a check's, but silence is what --timeout already
    // bounds.
    (config.connectTimeout + config.ioTimeout * 4) * 1000,
  );
  if (timedOut)
    return {
      kind: 'failed',
      message: `listing ${mailbox.remoteText} took too long`,
      hint: AGAIN,
    };
  if (!outcome.ok) {
    // The classifier words it for a sync: the mailbox is already named, and "the next run" is not ours.
    const prefix = `${mailbox.name}: `;
    const { message, hint } = outcome.error;
    return {
      kind: 'failed',
      message: message.startsWith(prefix) ? message.slice(prefix.length) : message,
      hint: outcome.transient ? AGAIN : hint,
    };
  }
  return { kind: 'listed', files: serverFiles(lines) };
}

export function listServer(
  mailbox: Mailbox,
  config: Config,
  io: { readonly fs: MaildirFs; readonly env: Readonly<Record<string, string | undefined>> },
): Promise<ServerListing> {
  if (mailbox.remote.kind === 'local')
    return Promise.resolve(listLocal(io.fs, mailbox.remote.path));
  return listOverSsh(mailbox, config, io.env);
}
