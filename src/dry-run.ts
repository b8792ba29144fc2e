// --dry-run: lists the server Maildir (rsync --list-only, which changes nothing anywhere) and says what a
// real run would do with each entry. Reads the local Maildir if it exists; creates nothing, locks nothing.
import { existsSync } from 'node:fs';
import type { Mailbox } from './config/types.js';
import { ConfigError, EXIT, type SyncmailError, worstExit } from './errors.js';
import { mailboxPaths } from './maildir/layout.js';
import { LocalIndex, scanLocal } from './maildir/local-index.js';
import { listArgv } from './rsync/argv.js';
import { type ListEntry, parseListLine } from './rsync/parse-list.js';
import { runPass } from './rsync/pass.js';
import type { MailboxContext, MailboxResult } from './sync-mailbox.js';

export type DryRunVerdict = 'would-move' | 'already-here' | 'would-leave';

/** Pure: what a real run would do with each entry of the server's new/. */
export function planDryRun(
  entries: readonly ListEntry[],
  index: LocalIndex,
): Array<{ name: Buffer; verdict: DryRunVerdict; why?: string }> {
  const plan: Array<{ name: Buffer; verdict: DryRunVerdict; why?: string }> = [];
  for (const entry of entries) {
    const path = entry.path;
    if (path.subarray(0, 4).toString('latin1') !== 'new/') continue;
    const name = path.subarray(4);
    if (entry.type !== 'file')
      plan.push({
        name,
        verdict: 'would-leave',
        why: entry.type === 'dir' ? 'a directory' : 'not a regular file',
      });
    else if (name[0] === 0x2e) plan.push({ name, verdict: 'would-leave', why: 'a dot-file' });
    else if (index.find(name).length > 0)
      plan.push({
        name,
        verdict: 'already-here',
        why: 'its unique name is in the local Maildir; content is compared in a real run',
      });
    else plan.push({ name, verdict: 'would-move' });
  }
  return plan;
}

export async function dryRunMailbox(mailbox: Mailbox, ctx: MailboxContext): Promise<MailboxResult> {
  const { config } = ctx;
  const entries: ListEntry[] = [];
  const errors: SyncmailError[] = [];
  const codes: number[] = [];
  // The same way every rsync pass runs (own session, forced stop, classification); a dry run is a quick
  // look, so it does not retry.
  const outcome = await runPass({
    label: 'listing',
    argv: listArgv(mailbox, config),
    config: { ...config, retries: 0 },
    env: ctx.env,
    cwd: process.cwd(),
    lockFd: undefined,
    mailbox: mailbox.name,
    server: mailbox.remoteText,
    guard: ctx.guard,
    sleep: ctx.sleep,
    onEvent: () => undefined,
    onStdoutLine: (line) => {
      const entry = parseListLine(line);
      if (entry !== undefined) entries.push(entry);
    },
    onRetry: () => undefined,
  });
  if (!outcome.ok) errors.push(outcome.error);
  const dirs = new Set(
    entries.filter((e) => e.type === 'dir').map((e) => e.path.toString('latin1')),
  );
  if (outcome.ok && !['cur', 'new', 'tmp'].every((d) => dirs.has(d))) {
    errors.push(
      new ConfigError(
        undefined,
        [`${mailbox.name}: ${mailbox.remoteText} is not a Maildir`],
        'check the mailbox\'s "remote" in the config',
      ),
    );
  }
  const paths = mailboxPaths(mailbox.local, mailbox.name);
  const index =
    existsSync(paths.new) && existsSync(paths.cur) ? scanLocal(paths) : new LocalIndex(paths);
  let moves = 0;
  let left = 0;
  for (const step of planDryRun(entries, index)) {
    if (step.verdict === 'would-move') moves += 1;
    if (step.verdict === 'would-leave') {
      left += 1;
      codes.push(EXIT.data);
    }
    ctx.log({
      event:
        step.verdict === 'would-move'
          ? 'delivered'
          : step.verdict === 'already-here'
            ? 'exists'
            : 'not-a-message',
      mailbox: mailbox.name,
      file: step.name,
      dryRun: true,
      ...(step.why ? { message: step.why } : {}),
    });
  }
  for (const e of errors) {
    codes.push(e.exitCode);
    ctx.log({
      event: 'error',
      mailbox: mailbox.name,
      class: e.name,
      code: e.exitCode,
      message: e.message,
      hint: e.hint,
      dryRun: true,
    });
  }
  return {
    name: mailbox.name,
    exitCode: worstExit(codes),
    delivered: moves,
    removed: 0,
    leftOnServer: left,
    busy: false,
  };
}
