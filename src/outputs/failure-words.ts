// What a mailbox's summary line says when it failed: the failure in a few words, from its first error's
// reason, so the line under cron's or a person's eyes says what happened ("cannot reach mail-server"),
// never "no new mail". The error's own message, above it, has the detail and what to do. Pure.
import { type ErrorReason, EXIT } from '../errors.js';

/** The host of a remote as written ("me@mail.example.org:Maildir" → "mail.example.org"). */
function hostOf(remote: string | undefined): string {
  if (remote === undefined) return 'the server';
  const colon = remote.indexOf(':');
  if (colon <= 0 || remote.startsWith('/')) return 'the server Maildir';
  return remote.slice(0, colon).replace(/^.*@/, '');
}

const WORDS: Partial<Record<ErrorReason, (host: string) => string>> = {
  unreachable: (host) => `cannot reach ${host}`,
  stalled: (host) => `${host} stopped answering`,
  'unknown-host': (host) => `no such host: ${host}`,
  'host-key': (host) => `the host key of ${host} is unknown or changed`,
  auth: (host) => `${host} refused the login`,
  'forced-command': (host) => `the forced command on ${host} refused`,
  'no-remote-maildir': () => 'no Maildir at the remote path',
  'not-a-maildir': () => 'the remote path is not a Maildir',
  'no-server-rsync': (host) => `no rsync on ${host}`,
  'old-server-rsync': (host) => `the rsync on ${host} is too old`,
  'server-shell-output': (host) => `the login shell on ${host} prints text`,
  'disk-full': () => 'the local disk is full',
  'local-write': () => 'cannot write the local Maildir',
  'too-many-files': () => 'too many open files',
  'local-maildir': () => 'the local Maildir is not usable',
  stopped: () => 'stopped',
};

/** The failure in a few words ("cannot reach mail-server"), when its reason has words. */
export function failureWords(
  reason: ErrorReason | undefined | null,
  remote: string | undefined,
): string | undefined {
  return reason === undefined || reason === null ? undefined : WORDS[reason]?.(hostOf(remote));
}

/** "cannot reach mail-server (tries again next run)", or "… (see above)" for what a person must fix. */
export function failureSummary(
  reason: ErrorReason | undefined,
  code: number,
  remote: string | undefined,
): string {
  const said = failureWords(reason, remote);
  const next = code === EXIT.tempfail ? 'tries again next run' : 'see above';
  return said === undefined ? `not synced (${next})` : `${said} (${next})`;
}
