// `syncmail install-systemd [options]`: writes a systemd user service and timer that run a quiet
// sync every `schedule`, then says which two systemctl commands start it. It runs no systemctl
// itself and changes nothing but those two files, so a person sees and decides; a unit file that
// differs from the one it would write is replaced only with --force. The units' text is in
// systemd/units.ts.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { xdgDir } from '../config/expand.js';
import { EXIT, LocalIoError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { ownPackageRoot, shippedFile } from '../package-files.js';
import { renderUnits, type UnitFile, type UnitSpec } from '../systemd/units.js';
import { badCommandLine, type Command } from './command.js';
import { commandConfig } from './command-config.js';

export const INSTALL_SYSTEMD_HELP = `Usage: syncmail install-systemd [options]

Write a systemd user service and timer that run \`syncmail --quiet\` every
\`schedule\` of the config (default 5m): syncmail.service and syncmail.timer
in $XDG_CONFIG_HOME/systemd/user/ (default ~/.config/systemd/user/). Nothing
else is changed; the systemctl commands that start the timer are printed,
for you to run. The service names this node, this syncmail and the config
file by absolute path: after moving one of them, run install-systemd again.

Options:
  -c, --config FILE   use exactly this config file (default: search, see README)
  -n, --dry-run       write nothing; say which files would be written or changed
      --print         write nothing; print the two files
  -f, --force         replace unit files that differ from what would be written
  -h, --help          show this help

Exit codes: 0 written (or already there), 64 bad command line or a unit file
that differs (see --force), 74 a file could not be written, 78 configuration
error.
`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  'dry-run': { type: 'boolean', short: 'n' },
  print: { type: 'boolean' },
  force: { type: 'boolean', short: 'f' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: false, strict: true, options: OPTIONS });
  } catch (error) {
    throw badCommandLine(error);
  }
}

export const START_COMMANDS = [
  'systemctl --user daemon-reload',
  'systemctl --user enable --now syncmail.timer',
];

/** The directory user units are read from: $XDG_CONFIG_HOME/systemd/user. */
export function unitDir(env: Io['env'], homedir: string): string {
  return path.join(
    xdgDir(env, 'XDG_CONFIG_HOME', path.join(homedir, '.config')),
    'systemd',
    'user',
  );
}

type State = 'new' | 'unchanged' | { readonly differsAt: number };

/** Pure: how an existing file's text compares with what would be written. */
export function compare(existing: string | undefined, text: string): State {
  if (existing === undefined) return 'new';
  if (existing === text) return 'unchanged';
  const old = existing.split('\n');
  const now = text.split('\n');
  let line = 0;
  while (line < old.length && old[line] === now[line]) line++;
  return { differsAt: line + 1 };
}

function readIfThere(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cannotWrite(file, error);
  }
}

function cannotWrite(file: string, error: unknown): LocalIoError {
  return new LocalIoError(
    `cannot write ${file}: ${(error as Error).message}`,
    `check that ${path.dirname(file)} is yours and writable`,
    'local-write',
  );
}

/** Written whole or not at all: a half-written unit would be read by the next daemon-reload. */
function writeUnit(file: string, text: string): void {
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(temporary, text, { mode: 0o644 });
    renameSync(temporary, file);
  } catch (error) {
    throw cannotWrite(file, error);
  }
}

/** The cli.js to run: the one this package ships (its bin), by absolute path. */
function cliPath(io: Io): string {
  const cli = shippedFile('dist/cli.js');
  if (cli !== undefined) return cli;
  const root = ownPackageRoot() ?? 'the syncmail package';
  io.err(`syncmail: warning: ${root}/dist/cli.js is not there yet (npm run build)\n`);
  return path.join(root, 'dist', 'cli.js');
}

function describe(state: State): string {
  if (state === 'new') return 'new';
  if (state === 'unchanged') return 'unchanged';
  return `differs from what would be written, from line ${state.differsAt}`;
}

function install(
  units: UnitFile[],
  dir: string,
  io: Io,
  opts: { dryRun: boolean; force: boolean },
) {
  const plan = units.map((u) => {
    const file = path.join(dir, u.name);
    return { file, text: u.text, state: compare(readIfThere(file), u.text) };
  });
  const differing = plan.filter((p) => typeof p.state === 'object');
  if (differing.length > 0 && !opts.force && !opts.dryRun) {
    // Checked for both before writing either, so a refusal leaves no half-installed pair.
    throw new UsageError(
      differing.map((p) => `${p.file} ${describe(p.state)}; not replaced`).join('\n'),
      'look at it (syncmail install-systemd --print shows the new text), then run again with ' +
        '--force to replace it',
    );
  }
  for (const p of plan) {
    const verb = opts.dryRun ? 'would write' : 'wrote';
    if (p.state === 'unchanged') io.out(`${p.file}: unchanged\n`);
    else if (opts.dryRun) io.out(`${p.file}: ${verb} (${describe(p.state)})\n`);
    else {
      writeUnit(p.file, p.text);
      io.out(`${p.file}: ${verb}${p.state === 'new' ? '' : ' (replaced)'}\n`);
    }
  }
  io.out(
    `${opts.dryRun ? 'Then' : 'Now'} start the timer (syncmail runs no systemctl itself):\n` +
      `  ${START_COMMANDS.join(' && ')}\n` +
      'Its runs are in the journal: journalctl --user -u syncmail\n',
  );
}

export const installSystemdCommand: Command = {
  name: 'install-systemd',
  summary: 'write a systemd user timer that syncs every `schedule`; prints how to start it',
  help: INSTALL_SYSTEMD_HELP,
  async run(argv, io) {
    const { values: v } = parse(argv);
    if (v.help) {
      io.out(INSTALL_SYSTEMD_HELP);
      return EXIT.ok;
    }
    if (v.print && v['dry-run'])
      throw new UsageError('--print and --dry-run cannot be used together', 'use one of them');
    const config = await commandConfig(io, v.config);
    const spec: UnitSpec = {
      // The node running now, by absolute path: see systemd/units.ts for why not `syncmail` on
      // PATH.
      node: process.execPath,
      cli: cliPath(io),
      configFile: config.file,
      schedule: config.schedule,
    };
    const units = renderUnits(spec);
    const dir = unitDir(io.env, io.homedir);
    if (v.print) {
      io.out(units.map((u) => `# ${path.join(dir, u.name)}\n${u.text}`).join('\n'));
      return EXIT.ok;
    }
    install(units, dir, io, { dryRun: v['dry-run'] === true, force: v.force === true });
    return EXIT.ok;
  },
};
