// Shows a notification through notify-send (libnotify), the one program every Linux desktop's
// notification server answers. Only where a session bus is reachable: under cron or on a server there
// is none, and no notification is the right thing there, silently.
//
// libnotify 0.8's notify-send prints the notification's id (--print-id) and can replace an earlier one
// (--replace-id): the id is kept in the state directory, so a new run's notification takes the place
// of the last one instead of stacking up a pile of "1 new message". An older notify-send refuses those
// options; it is asked again without them, and its notifications stack.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCaptured } from '../hooks/run-hook.js';
import type { Notice } from './message.js';

const PROGRAM = 'notify-send';
/** notify-send waits for the notification server's answer; a wedged bus must not hold the run. */
const SEND_TIMEOUT_MS = 10_000;
export const NOTIFY_ID_FILE = 'notify-id';

function isSocket(file: string): boolean {
  try {
    return statSync(file).isSocket();
  } catch {
    return false;
  }
}

/** The session bus's address: DBUS_SESSION_BUS_ADDRESS, or systemd's socket $XDG_RUNTIME_DIR/bus. */
export function sessionBus(
  env: Readonly<Record<string, string | undefined>>,
  socketAt: (file: string) => boolean = isSocket,
): string | undefined {
  const address = env['DBUS_SESSION_BUS_ADDRESS'];
  if (address !== undefined && address !== '') return address;
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime === undefined || !path.isAbsolute(runtime)) return undefined;
  const socket = path.join(runtime, 'bus');
  return socketAt(socket) ? `unix:path=${socket}` : undefined;
}

/** notify-send's arguments; "--" so that a summary or body starting with "-" is no option. */
export function notifyArgv(
  notice: Notice,
  ids: { readonly print: boolean; readonly replace?: number | undefined },
): string[] {
  return [
    '--app-name=syncmail',
    '--category=email.arrived',
    '--icon=mail-unread',
    ...(ids.print ? ['--print-id'] : []),
    ...(ids.print && ids.replace !== undefined ? [`--replace-id=${ids.replace}`] : []),
    '--',
    notice.summary,
    notice.body,
  ];
}

/** The id notify-send printed: its first line of only digits. */
export function printedId(output: string): number | undefined {
  const line = output.split('\n').find((l) => /^\d+$/.test(l.trim()));
  const id = line === undefined ? Number.NaN : Number(line.trim());
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** An old notify-send's answer to an option it does not know (GLib: "Unknown option --print-id"). */
export function refusedPrintId(code: number | null, output: string): boolean {
  return code !== 0 && code !== null && /unknown option|print-id/i.test(output);
}

function lastId(file: string): number | undefined {
  try {
    return printedId(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function keepId(file: string, id: number): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.new`, `${id}\n`, { mode: 0o600 });
    renameSync(`${file}.new`, file);
  } catch {
    // Shown all the same; the next one stacks instead of replacing it.
  }
}

export interface SendContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The session bus (sessionBus()). */
  readonly bus: string;
  /** The state directory, where the last notification's id is kept. */
  readonly state: string;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** Shows `notice`; returns why it could not, or undefined when it was shown. */
export async function sendNotice(notice: Notice, ctx: SendContext): Promise<string | undefined> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(ctx.env)) if (value !== undefined) env[key] = value;
  env['DBUS_SESSION_BUS_ADDRESS'] = ctx.bus;
  const idFile = path.join(ctx.state, NOTIFY_ID_FILE);
  const send = (print: boolean) =>
    runCaptured({
      program: PROGRAM,
      args: notifyArgv(notice, { print, replace: lastId(idFile) }),
      input: '',
      env,
      cwd: env['HOME'] || '/',
      timeoutMs: SEND_TIMEOUT_MS,
    });
  let result = await send(true);
  if (refusedPrintId(result.code, result.output)) result = await send(false);
  if (result.timedOut) return `${PROGRAM} did not finish within ${SEND_TIMEOUT_MS / 1000} s`;
  if (result.failed !== undefined) return result.failed;
  if (result.code !== 0) {
    const said = firstLine(result.output);
    return `${PROGRAM} exited with ${result.code}${said === '' ? '' : `: ${said}`}`;
  }
  const id = printedId(result.output);
  if (id !== undefined) keepId(idFile, id);
  return undefined;
}
