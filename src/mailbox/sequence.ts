// Runs one mailbox's steps (steps.ts) in one of the three modes: a real sync, a dry run (each step's
// preview, changing nothing), or --print (each step's commands, running nothing).
import type { Config, Mailbox } from '../config/types.js';
import { mailboxPaths } from '../maildir/layout.js';
import { loadHeaderDecoders } from '../rules/headers.js';
import { asSyncmailError, MailboxRun, type RunContext } from './mailbox-run.js';
import { STEPS } from './steps.js';

export type Mode = 'sync' | 'dry-run';

/**
 * Syncs (or previews) one mailbox, reporting everything as events. Never throws: one mailbox's failure,
 * even a bug, must not keep the others from syncing, and whatever it left is safe for the next run to
 * finish (see steps.ts).
 */
export async function syncMailbox(mailbox: Mailbox, ctx: RunContext, mode: Mode): Promise<void> {
  const m = new MailboxRun(mailbox, ctx);
  try {
    if (mailbox.rules.length > 0) await loadHeaderDecoders();
    for (const step of STEPS) {
      const act = mode === 'sync' ? step.run : step.preview;
      if (act !== undefined && !(await act.call(step, m))) break;
    }
  } catch (error) {
    m.fail(asSyncmailError(error, mailbox.name));
  } finally {
    m.release();
  }
}

/** --print: every command the mailboxes' steps would run, shell-quoted so each can be pasted. */
export function printMailboxes(config: Config, mailboxes: readonly Mailbox[]): string {
  const lines: string[] = [];
  for (const mailbox of mailboxes) {
    const setup = { mailbox, config, paths: mailboxPaths(mailbox, config.state) };
    lines.push(`# ${mailbox.name}: ${mailbox.remoteText} -> ${mailbox.local}`);
    for (const step of STEPS) lines.push(...step.print(setup));
    lines.push('');
  }
  return lines.join('\n');
}
