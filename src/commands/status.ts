// `syncmail status [--json] [--format FMT] [MAILBOX...]`: how each mailbox is doing, from the status
// files the syncs keep (status/store.ts): its last sync and how long ago, its last attempt's outcome,
// what it delivered. Reads the config and those small files only, never the network or rsync, so a
// shell prompt or a status bar can run it often. Its exit code says whether all is well, for scripts.
import { EXIT, UsageError } from '../errors.js';
import { readStatus } from '../status/store.js';
import { formatTable } from '../status/table.js';
import { parseTemplate, renderTemplate } from '../status/template.js';
import { viewJson, viewOf } from '../status/view.js';
import { type Command, parseCommandLine } from './command.js';
import { commandConfig } from './command-config.js';
import { selectMailboxes } from './sync.js';

export const STATUS_HELP = `Usage: syncmail status [options] [MAILBOX...]

Show how each mailbox (or each MAILBOX given) is doing, from what the syncs
recorded: when it last synced and how long ago, its last attempt and how it
ended ("ok", "cannot reach mail.example.org", ...), the messages the last
run delivered and today's. Reads no server and runs no rsync.

STATE is ok, failing (the last attempt did not end well), stale (the last
sync is older than 3 x schedule: is the timer or cron job running?) or
never (no sync of it is recorded yet).

Options:
      --json           a JSON array, one object per mailbox
      --format FMT     one line per mailbox from the template FMT
  -c, --config FILE    use exactly this config file (default: search, see README)
  -h, --help           show this help

FMT, for a shell prompt or a status bar, e.g. '{name}:{today}{stale?!}':
  {name} {state} {today} {new} {last} {ago} {code} {outcome}
      the mailbox's name; its state; delivered today; delivered by the last
      run; last sync (14:05, or 2026-05-01 14:05; never); how long ago (45s,
      12m, 2h, 3d; -); the last attempt's exit code (-); its outcome in words
  {stale?TEXT} {failing?TEXT} {ok?TEXT} {new?TEXT} {today?TEXT}
      TEXT when the mailbox is stale; failing or never synced; ok; got mail
      in the last run; got mail today
  {{ }}  a literal brace

Exit codes: 0 every mailbox is ok, 75 some mailbox is failing, stale or
never synced, 64 bad command line, 78 configuration error.
`;

const OPTIONS = {
  json: { type: 'boolean' },
  format: { type: 'string' },
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parse = (argv: readonly string[]) => parseCommandLine(argv, OPTIONS);

export const statusCommand: Command = {
  name: 'status',
  summary: "show each mailbox's last sync, last attempt and today's mail (no network)",
  help: STATUS_HELP,
  async run(argv, io) {
    const { values, positionals } = parse(argv);
    if (values.help) {
      io.out(STATUS_HELP);
      return 0;
    }
    if (values.json && values.format !== undefined)
      throw new UsageError('give --json or --format, not both', 'run `syncmail status --help`');
    // Read before the config, so a bad template is said whatever the config holds.
    const template = values.format === undefined ? undefined : parseTemplate(values.format);
    const config = await commandConfig(io, values.config);
    const now = new Date();
    const views = selectMailboxes(config, positionals).map((m) =>
      viewOf({
        name: m.name,
        remote: m.remoteText,
        status: readStatus(config.state, m.name),
        now,
        schedule: config.schedule,
      }),
    );
    if (template !== undefined) {
      io.out(views.map((v) => `${renderTemplate(template, v, now)}\n`).join(''));
    } else if (values.json) {
      io.out(`${JSON.stringify(views.map(viewJson), null, 2)}\n`);
    } else {
      io.out(formatTable(views, now));
    }
    return views.every((v) => v.state === 'ok') ? EXIT.ok : EXIT.tempfail;
  },
};
