// `syncmail log [options] [QUERY]`: the story of a message, from the transfer log (rotated logs
// included): when it was fetched, where it was delivered and under which name, when it was removed
// from which server, and what else happened to it. Reads only. Like grep, it exits 1 when no
// message matches, so scripts can ask "did this message arrive?".
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { type Found, formatStoryJson, formatStoryText } from '../log/format.js';
import { MessageFinder, readHeaders } from '../log/locate.js';
import { type Headers, isOpen, type LogQuery, parseWhen, selectStories } from '../log/query.js';
import { logFiles, readRecords } from '../log/records.js';
import { deliveredPath, type Story, stories } from '../log/story.js';
import { loadHeaderDecoders } from '../rules/headers.js';
import { type Command, parseCommandLine } from './command.js';
import { commandConfig } from './command-config.js';

export const LOG_HELP = `Usage: syncmail log [options] [QUERY]

Show what happened to messages, from the transfer log (rotated logs too):
each message's whole story, in time order: delivered where and under which
name (folder and rule), removed from which server, already there, conflicts.

QUERY is part of a message's file name (a pasted path or a name with flags
":2,S" works too), or part of its Message-ID or Subject, read from the
delivered file (found by its unique name in cur/ or new/ after a mail reader
moved it). Case is ignored. Without QUERY, --run, --since or --until: the
messages of the last run that had any (of --mailbox, when given).

Options:
  -m, --mailbox NAME   only this mailbox's messages
      --since DATE     only messages with a step at or after DATE
      --until DATE     only messages with a step before DATE (a day: all of it)
      --run ID         only messages with a step in this run
      --json           one JSON object per message instead of text
  -c, --config FILE    use exactly this config file (default: search, see README)
  -h, --help           show this help

DATE is YYYY-MM-DD (local time) or an ISO time (2026-12-01T10:00, or with
Z or +01:00). A filter picks messages; each is shown with its whole story.
Exit codes: 0 messages shown, 1 no message matched, 64 bad command line,
74 the log could not be read, 78 configuration error.
`;

const OPTIONS = {
  mailbox: { type: 'string', short: 'm' },
  since: { type: 'string' },
  until: { type: 'string' },
  run: { type: 'string' },
  json: { type: 'boolean' },
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const;

const NO_MATCH = 1;

const parse = (argv: readonly string[]) => parseCommandLine(argv, OPTIONS);

function queryOf(parsed: ReturnType<typeof parse>): LogQuery {
  const v = parsed.values;
  if (parsed.positionals.length > 1) {
    throw new UsageError(
      `give at most one QUERY, got ${parsed.positionals.length}: quote a subject with spaces`,
      'run `syncmail log --help`',
    );
  }
  const query: LogQuery = {
    text: parsed.positionals[0],
    mailbox: v.mailbox,
    run: v.run,
    since: v.since === undefined ? undefined : parseWhen(v.since, '--since'),
    until: v.until === undefined ? undefined : parseWhen(v.until, '--until'),
  };
  if (query.text?.trim() === '')
    throw new UsageError('QUERY is empty', 'run `syncmail log --help`');
  return query;
}

function nothing(query: LogQuery): string {
  if (query.text !== undefined) {
    return `no message in the transfer log matches ${JSON.stringify(query.text)}`;
  }
  if (isOpen(query)) {
    return query.mailbox === undefined
      ? 'the transfer log names no message yet'
      : `the transfer log names no message of mailbox "${query.mailbox}"`;
  }
  return 'no message in the transfer log matches these filters';
}

export const logCommand: Command = {
  name: 'log',
  summary: "a message's story from the transfer log: syncmail log QUERY",
  help: LOG_HELP,
  async run(argv, io: Io) {
    const parsed = parse(argv);
    if (parsed.values.help) {
      io.out(LOG_HELP);
      return EXIT.ok;
    }
    const query = queryOf(parsed);
    const config = await commandConfig(io, parsed.values.config);
    if (query.mailbox !== undefined && !config.mailboxes.some((m) => m.name === query.mailbox)) {
      // A mailbox since removed from the config may still be in the log: say so, but look.
      io.err(`syncmail: note: no mailbox "${query.mailbox}" in ${config.file ?? 'the config'}\n`);
    }
    const files = logFiles(config.log);
    const { records, bad } = readRecords(files);
    if (bad > 0) {
      io.err(
        `syncmail: warning: skipped ${bad} unreadable line${bad === 1 ? '' : 's'} of the ` +
          'transfer log (a run killed while writing leaves a partial one)\n',
      );
    }
    await loadHeaderDecoders();
    const finder = new MessageFinder(io.fs);
    const found = new Map<Story, Found>();
    const foundOf = (story: Story): Found => {
      let f = found.get(story);
      if (f === undefined) {
        const logged = deliveredPath(story);
        const now = logged === undefined ? undefined : finder.find(logged);
        const headers: Headers | undefined =
          now === undefined ? undefined : readHeaders(io.fs, now);
        f = { logged, now, headers };
        found.set(story, f);
      }
      return f;
    };
    const shown = selectStories(stories(records), query, (s) => foundOf(s).headers);
    if (shown.length === 0) {
      const where = files.length === 0 ? ` (there is none at ${config.log} yet)` : '';
      io.err(`syncmail: ${nothing(query)}${where}\n`);
      return NO_MATCH;
    }
    shown.forEach((story, i) => {
      const f = foundOf(story);
      if (parsed.values.json) io.out(formatStoryJson(story, f));
      else io.out(`${i > 0 ? '\n' : ''}${formatStoryText(story, f)}`);
    });
    return EXIT.ok;
  },
};
