// What a sync needs from the machine beyond rsync and ssh, and what cron does not give it: a session bus
// for notifications, notify-send, syncmail and node on cron's PATH (/usr/bin:/bin), util-linux flock.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { EXIT } from '../errors.js';
import { type Finding, ok, problem, warn } from './finding.js';
import { findProgram } from './which.js';

/** The PATH cron gives a job (Debian's cron, cronie). */
export const CRON_PATH = '/usr/bin:/bin';

const SUBJECT = 'environment';

export interface EnvironmentFacts {
  readonly notify: boolean;
  /** DBUS_SESSION_BUS_ADDRESS is set, or $XDG_RUNTIME_DIR/bus exists. */
  readonly sessionBus: boolean;
  readonly notifySend: string | undefined;
  /** Where syncmail is on the user's PATH, and whether cron's PATH finds it. */
  readonly syncmail: string | undefined;
  readonly syncmailOnCronPath: boolean;
  /** Where node is on the user's PATH, and whether cron's PATH finds it (the CLI starts with env node). */
  readonly node: string | undefined;
  readonly nodeOnCronPath: boolean;
  readonly flock: string | undefined;
  /** config.schedule, seconds. */
  readonly schedule: number;
}

/** Pure: the crontab schedule field for running every `seconds`. */
export function cronSchedule(seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`;
  const hours = Math.max(1, Math.round(minutes / 60));
  return hours >= 24 ? '0 0 * * *' : hours === 1 ? '0 * * * *' : `0 */${hours} * * *`;
}

/** Pure. */
export function environmentFindings(f: EnvironmentFacts): Finding[] {
  const found: Finding[] = [];
  if (f.notify && !f.sessionBus)
    found.push(
      warn(
        SUBJECT,
        'notify is on, but there is no session bus here (no DBUS_SESSION_BUS_ADDRESS, no $XDG_RUNTIME_DIR/bus): no notification would show',
        'under cron add to the crontab: DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/UID/bus (your UID: id -u); a systemd user timer has it already',
      ),
    );
  if (f.notify && f.notifySend === undefined)
    found.push(
      warn(
        SUBJECT,
        'notify is on, but notify-send is not on PATH',
        'install it (Debian and Ubuntu: apt-get install libnotify-bin), or set notify: false',
      ),
    );
  const line = `${cronSchedule(f.schedule)} ${f.syncmail ?? '/path/to/syncmail'} --quiet`;
  if (!f.syncmailOnCronPath)
    found.push(
      warn(
        SUBJECT,
        `syncmail is not on cron's PATH (${CRON_PATH})${f.syncmail === undefined ? ' nor on yours' : `; it is ${f.syncmail}`}`,
        `in a crontab give its full path: ${line}`,
      ),
    );
  if (f.node !== undefined && !f.nodeOnCronPath)
    found.push(
      warn(
        SUBJECT,
        `node is not on cron's PATH (${CRON_PATH}): it is ${f.node}, and syncmail starts with "env node"`,
        `put this line at the top of the crontab: PATH=${path.dirname(f.node)}:${CRON_PATH}`,
      ),
    );
  if (f.flock === undefined)
    found.push(
      problem(
        SUBJECT,
        EXIT.config,
        'flock is not on PATH: syncmail locks each Maildir and server folder with it',
        'install util-linux (Debian and Ubuntu: apt-get install util-linux)',
      ),
    );
  if (found.length === 0) found.push(ok(SUBJECT, 'cron finds syncmail; flock is there'));
  return found;
}

export function checkEnvironment(
  config: Pick<Config, 'notify' | 'schedule'>,
  env: Readonly<Record<string, string | undefined>>,
): Finding[] {
  const searchPath = env['PATH'];
  const runtime = env['XDG_RUNTIME_DIR'];
  const syncmail = findProgram('syncmail', searchPath);
  const node = findProgram('node', searchPath);
  return environmentFindings({
    notify: config.notify,
    sessionBus:
      (env['DBUS_SESSION_BUS_ADDRESS'] ?? '') !== '' ||
      (runtime !== undefined && runtime !== '' && existsSync(path.join(runtime, 'bus'))),
    notifySend: findProgram('notify-send', searchPath),
    syncmail,
    syncmailOnCronPath: findProgram('syncmail', CRON_PATH) !== undefined,
    node,
    nodeOnCronPath: findProgram('node', CRON_PATH) !== undefined,
    flock: findProgram('flock', searchPath),
    schedule: config.schedule,
  });
}
