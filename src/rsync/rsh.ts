// The ssh command line that rsync runs (its -e option). rsync splits that string itself, not a shell:
// words are separated by spaces, and '…' or "…" group a word, a doubled quote inside standing for itself
// (main.c do_cmd). So quoting here is for rsync's splitter, and nothing reaches a shell on this side.
import type { Config, Mailbox } from '../config/types.js';

export function quoteForRsyncSplit(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", "''")}'`;
}

/**
 * ssh options syncmail always adds. ssh takes the first value it sees for an option, so the user's own
 * arguments come first and can override timeouts; these only fill in what the user did not set.
 */
export function sshDefaults(config: Pick<Config, 'connectTimeout'>): string[] {
  return [
    // Under cron, and with rsync in its own session, there is no terminal: fail at once instead of
    // prompting for a password or a host key nobody can answer.
    '-o',
    'BatchMode=yes',
    // Bounds the time a run can hang on an unreachable server (rsync --contimeout is daemon-only).
    '-o',
    `ConnectTimeout=${config.connectTimeout}`,
    // A dead network mid-transfer (suspend, cut cable) is noticed after 15 s x 4; rsync --timeout is not
    // enough because rsync keeps writing keepalives into the local socket buffer.
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'ServerAliveCountMax=4',
  ];
}

/** `shared`: the shared connection's options for this pass (shared-connection.ts); the user's come first. */
export function sshWords(
  mailbox: Mailbox,
  config: Pick<Config, 'connectTimeout'>,
  shared: readonly string[] = [],
): string[] {
  return ['ssh', ...mailbox.ssh, ...shared, ...sshDefaults(config)];
}

export function rshOption(
  mailbox: Mailbox,
  config: Pick<Config, 'connectTimeout'>,
  shared: readonly string[] = [],
): string {
  return sshWords(mailbox, config, shared).map(quoteForRsyncSplit).join(' ');
}
