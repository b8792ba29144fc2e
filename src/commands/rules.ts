// `syncmail rules test [--mailbox NAME] FILE|MAILDIR...`: which rule each message would meet and where
// it would go, read from message files a person already has. Reads only; moves nothing. It routes each
// file the way a sync does (rules/route-file.ts), so what it says is what a sync would do.

import path from 'node:path';
import type { Config, Mailbox } from '../config/types.js';
import { EXIT, UsageError, worstExit } from '../errors.js';
import type { Io } from '../io.js';
import type { MaildirFs } from '../maildir/fs.js';
import { joinName } from '../maildir/layout.js';
import { destinationOf } from '../rules/folders.js';
import { loadHeaderDecoders } from '../rules/headers.js';
import { routeFile } from '../rules/route-file.js';
import type { Route } from '../rules/types.js';
import { displayName } from '../text/display-name.js';
import { type Command, parseCommandLine } from './command.js';
import { commandConfig } from './command-config.js';

export const RULES_HELP = `Usage: syncmail rules test [options] FILE|MAILDIR...

Say which rule each message matches and where a sync would deliver it,
without moving anything. A MAILDIR argument means every message in its new/
and cur/. The rules are those of the first mailbox, or of --mailbox.

Options:
  -c, --config FILE    use exactly this config file (default: search, see README)
  -m, --mailbox NAME   use this mailbox's rules (its own, then the top-level ones)
      --json           one JSON object per message instead of text
  -h, --help           show this help

Each line reads: FILE → FOLDER (rule NAME), then copies and flags, then the
subject. Exit codes: 0 every file was read, 64 bad command line, 74 a file
could not be read, 78 configuration error.
`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  mailbox: { type: 'string', short: 'm' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (argv: readonly string[]) => parseCommandLine(argv, OPTIONS);

function pickMailbox(config: Config, name: string | undefined): Mailbox {
  const mailbox =
    name === undefined ? config.mailboxes[0] : config.mailboxes.find((m) => m.name === name);
  if (mailbox !== undefined) return mailbox;
  throw new UsageError(
    `no mailbox named "${name}" in ${config.file ?? 'the config'}`,
    `the mailboxes are: ${config.mailboxes.map((m) => m.name).join(', ')}`,
  );
}

/** The message files an argument stands for: itself, or a Maildir's new/ and cur/ (dot-files are none). */
function messageFiles(fs: MaildirFs, arg: string): Buffer[] {
  const info = fs.lstat(arg);
  if (info === undefined) throw new UsageError(`no such file or directory: ${arg}`, RULES_HINT);
  if (!info.isDirectory()) return [Buffer.from(arg)];
  const dirs = ['new', 'cur'].map((d) => path.join(arg, d));
  if (!dirs.every((d) => fs.lstat(d)?.isDirectory())) {
    throw new UsageError(`${arg} is a directory but not a Maildir (no new/ and cur/)`, RULES_HINT);
  }
  return dirs.flatMap((d) =>
    fs
      .names(d)
      .filter((n) => n[0] !== 0x2e)
      .map((n) => joinName(d, n)),
  );
}

const RULES_HINT = 'give message files or Maildirs: syncmail rules test ~/Maildir';
const SHOWN = 70;

function oneLine(text: string): string {
  const flat = text.replace(/[\0-\x1f\x7f]+/g, ' ').trim();
  return flat.length > SHOWN ? `${flat.slice(0, SHOWN)}…` : flat;
}

function describeRoute(route: Route): string {
  const why =
    route.unread !== undefined
      ? ' (header block over 1 MiB: no rule was asked)'
      : route.rule !== undefined
        ? ` (rule ${route.rule})`
        : route.matched.length > 0
          ? ` (rules ${route.matched.join(', ')}; none chose a folder)`
          : ' (no rule matched)';
  const copies = route.copies.length > 0 ? `, copy in ${route.copies.join(', ')}` : '';
  const flags = route.flags.length > 0 ? `, flags ${route.flags.join('')}` : '';
  return `${route.folder}${why}${copies}${flags}`;
}

async function test(argv: readonly string[], io: Io): Promise<number> {
  const parsed = parse(argv);
  const v = parsed.values;
  if (v.help) {
    io.out(RULES_HELP);
    return EXIT.ok;
  }
  if (parsed.positionals.length === 0)
    throw new UsageError('give at least one FILE or MAILDIR', RULES_HINT);
  const config = await commandConfig(io, v.config);
  const mailbox = pickMailbox(config, v.mailbox);
  const files = parsed.positionals.flatMap((arg) => messageFiles(io.fs, path.resolve(io.cwd, arg)));
  if (!v.json)
    io.out(`mailbox ${mailbox.name}: ${mailbox.rules.length} rules, ${files.length} messages\n`);
  const codes: number[] = [];
  const cwd = Buffer.from(`${io.cwd.replace(/\/$/, '')}/`);
  for (const file of files) {
    // Shown relative to the working directory where it is below it; names may be any bytes.
    const relative = file.subarray(0, cwd.length).equals(cwd) ? file.subarray(cwd.length) : file;
    const shown = displayName(relative);
    try {
      const size = io.fs.stat(file).size;
      const { route, view } = routeFile(io.fs, file, size, mailbox.rules);
      const subject = view?.values('subject')[0] ?? '';
      if (v.json) {
        const dest = destinationOf(mailbox, config.folderStyle, route);
        io.out(
          `${JSON.stringify({
            file: displayName(file),
            folder: route.folder,
            rule: route.rule ?? null,
            matched: route.matched,
            copies: route.copies,
            flags: route.flags.join(''),
            maildirs: dest.targets.map((t) => t.maildir),
            ...(route.unread === undefined ? {} : { unread: route.unread }),
            subject,
          })}\n`,
        );
      } else {
        io.out(`${shown} → ${describeRoute(route)}${subject ? `  ${oneLine(subject)}` : ''}\n`);
      }
    } catch (error) {
      io.err(`syncmail: cannot read ${shown}: ${(error as Error).message}\n`);
      codes.push(EXIT.ioerr);
    }
  }
  return worstExit(codes);
}

export const rulesCommand: Command = {
  name: 'rules',
  summary: 'try the routing rules on messages you have: syncmail rules test FILE|MAILDIR...',
  help: RULES_HELP,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'test') {
      await loadHeaderDecoders();
      return test(rest, io);
    }
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      io.out(RULES_HELP);
      return EXIT.ok;
    }
    if (sub === undefined)
      throw new UsageError(
        'give a rules command: syncmail rules test FILE|MAILDIR...',
        'run `syncmail rules --help`',
      );
    throw new UsageError(
      `"rules ${sub}" is not a command; the rules command has: test`,
      'run `syncmail rules --help`',
    );
  },
};
