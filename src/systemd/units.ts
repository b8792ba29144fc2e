// The systemd user units `syncmail install-systemd` writes: a oneshot service that runs one quiet
// sync, and a timer that starts it every `schedule`. Pure: the paths come in, the two files' text
// goes out.
//
// ExecStart names node and the cli file by absolute path rather than running the `syncmail` bin:
// the bin is a `#!/usr/bin/env node` script, and the user manager's PATH is not the login shell's,
// so a node from nvm, fnm or ~/.local is not found there. The absolute paths are those of the node
// running install-systemd and of the installed package's cli.js, so the unit runs exactly the
// syncmail the person just ran. What that costs: removing that node (an nvm upgrade) or the package
// breaks the unit, which then fails with "No such file or directory" in `systemctl --user status
// syncmail`; running install-systemd again writes the new paths.

export const SERVICE_FILE = 'syncmail.service';
export const TIMER_FILE = 'syncmail.timer';

export interface UnitSpec {
  /** Absolute path of the node executable. */
  readonly node: string;
  /** Absolute path of syncmail's cli.js. */
  readonly cli: string;
  /** Absolute path of the config file, pinned so the unit never finds a different one. */
  readonly configFile: string | undefined;
  /** How often to sync, in seconds (config.schedule). */
  readonly schedule: number;
}

export interface UnitFile {
  readonly name: string;
  readonly text: string;
}

/**
 * One ExecStart= word. systemd splits the line itself (no shell): a word with a space or quote is
 * double-quoted with C escapes; `%` (a specifier) and `$` (a variable) are doubled to stay literal.
 */
export function execWord(word: string): string {
  const literal = word.replaceAll('%', '%%').replaceAll('$', '$$$$');
  if (literal !== '' && /^[A-Za-z0-9_@%$+=:,./-]+$/.test(literal)) return literal;
  const escaped = literal
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\n', '\\n')
    .replaceAll('\t', '\\t');
  return `"${escaped}"`;
}

/**
 * A calendar expression that fires every `seconds`, when the period divides the minute, hour or day
 * evenly (5m → `*:0/5`); undefined otherwise. Calendar timers are preferred: with Persistent=true
 * a run missed while the machine was off or asleep happens as soon as it is back, which only works
 * with OnCalendar= (systemd.timer(5)).
 */
export function onCalendar(seconds: number): string | undefined {
  if (!Number.isInteger(seconds) || seconds <= 0) return undefined;
  if (seconds < 60) return 60 % seconds === 0 ? `*:*:0/${seconds}` : undefined;
  if (seconds % 60 !== 0) return undefined;
  const minutes = seconds / 60;
  if (minutes < 60) return 60 % minutes === 0 ? `*:0/${minutes}` : undefined;
  if (minutes % 60 !== 0) return undefined;
  const hours = minutes / 60;
  if (hours < 24) return 24 % hours === 0 ? `0/${hours}:00` : undefined;
  if (hours === 24) return 'daily';
  if (hours === 24 * 7) return 'weekly';
  return undefined;
}

/** The [Timer] lines for a period in seconds. */
export function timerLines(seconds: number): string[] {
  const calendar = onCalendar(seconds);
  // The timer's window: systemd may fire up to AccuracySec late (default 1 min) to batch wake-ups,
  // too coarse for a period of a few minutes.
  const accuracy = seconds < 600 ? ['AccuracySec=1s'] : [];
  if (calendar !== undefined) return [`OnCalendar=${calendar}`, 'Persistent=true', ...accuracy];
  return [
    '# Not a divisor of a minute, hour or day: a monotonic timer. OnStartupSec= fires soon after',
    '# the user manager starts, and at once when it is enabled later (it is then in the past);',
    '# each run is then started this long after the last one was.',
    'OnStartupSec=1min',
    `OnUnitActiveSec=${seconds}s`,
    ...accuracy,
  ];
}

/** A period in seconds as a person reads it: 300 → "5 minutes". */
export function describePeriod(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, name] of units) {
    if (seconds % size === 0) {
      const n = seconds / size;
      return n === 1 ? `1 ${name}` : `${n} ${name}s`;
    }
  }
  return `${seconds} seconds`;
}

export function renderService(spec: UnitSpec): string {
  const words = [
    spec.node,
    spec.cli,
    '--quiet',
    ...(spec.configFile === undefined ? [] : ['--config', spec.configFile]),
  ];
  return `# Written by \`syncmail install-systemd\`; run it again rather than editing this file.
[Unit]
Description=Move new mail from the server Maildirs (syncmail)
Documentation=man:syncmail(1)

[Service]
Type=oneshot
ExecStart=${words.map(execWord).join(' ')}
# A stop (shutdown, logout, systemctl stop) sends SIGTERM to syncmail alone, which lets the running
# transfers finish and then ends; the default (every process of the unit) would cut rsync off
# mid-file. What is still running after TimeoutStopSec is killed; a cut-off file resumes on the next
# run.
KillMode=mixed
TimeoutStopSec=15min
# A server that cannot be reached now is retried by the next run; with --quiet syncmail writes to
# the journal once such a failure has lasted quietFailuresFor. So it does not mark the unit failed.
SuccessExitStatus=75
Nice=10
IOSchedulingClass=idle
# No terminal asks for a passphrase here. A key held by an agent needs the agent's socket, e.g.:
# Environment=SSH_AUTH_SOCK=%t/ssh-agent.socket
`;
}

export function renderTimer(spec: UnitSpec): string {
  return `# Written by \`syncmail install-systemd\`; run it again rather than editing this file.
[Unit]
Description=Run syncmail every ${describePeriod(spec.schedule)} (schedule: in the config)
Documentation=man:syncmail(1)

[Timer]
${timerLines(spec.schedule).join('\n')}

[Install]
WantedBy=timers.target
`;
}

export function renderUnits(spec: UnitSpec): UnitFile[] {
  return [
    { name: SERVICE_FILE, text: renderService(spec) },
    { name: TIMER_FILE, text: renderTimer(spec) },
  ];
}
