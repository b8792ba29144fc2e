// An afterSync hook, run for what a mailbox (or the whole run) delivered: the payload built, the
// command run, and the result as the 'hook' event that the outputs show and log.
import type { HookCommand } from '../config/types.js';
import type { SyncEvent } from '../events.js';
import type { MaildirFs } from '../maildir/fs.js';
import { headersOf, type MessageHeaders } from './headers-of.js';
import { type DeliveredEvent, type DeliveredMessage, payloadOf, payloadText } from './payload.js';
import { commandText, runHook } from './run-hook.js';

export type HookEvent = Extract<SyncEvent, { event: 'hook' }>;

/**
 * The headers of each delivered file, read once: a mailbox's hook, the run's hook and the notification
 * all ask, and a hook that moves the files (a mail indexer filing them) must not hide them from the next.
 */
export class HeaderCache {
  readonly #known = new Map<string, Promise<MessageHeaders>>();
  constructor(readonly fs: MaildirFs) {}

  async with(events: readonly DeliveredEvent[]): Promise<DeliveredMessage[]> {
    return Promise.all(events.map(async (event) => ({ event, headers: await this.#of(event) })));
  }

  #of(event: DeliveredEvent): Promise<MessageHeaders> {
    const path = event.path as Buffer;
    const key = path.toString('latin1');
    let known = this.#known.get(key);
    if (known === undefined) {
      known = headersOf(this.fs, path);
      this.#known.set(key, known);
    }
    return known;
  }
}

export interface AfterSyncContext {
  readonly runId: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly headers: HeaderCache;
  readonly timeoutSeconds: number;
  readonly track?: ((stop: () => void) => () => void) | undefined;
}

/** The user's environment, and which run and mailbox the hook is for. */
export function hookEnv(
  env: Readonly<Record<string, string | undefined>>,
  runId: string,
  mailbox: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  out['SYNCMAIL_RUN'] = runId;
  if (mailbox === undefined) delete out['SYNCMAIL_MAILBOX'];
  else out['SYNCMAIL_MAILBOX'] = mailbox;
  return out;
}

/** Runs `command` for `delivered` (a mailbox's, or with `mailbox` undefined the run's). */
export async function runAfterSync(
  command: HookCommand,
  mailbox: string | undefined,
  delivered: readonly DeliveredEvent[],
  ctx: AfterSyncContext,
): Promise<HookEvent> {
  const scope = mailbox ?? 'run';
  const messages = await ctx.headers.with(delivered);
  const result = await runHook({
    command,
    input: payloadText(payloadOf(ctx.runId, scope, messages)),
    env: hookEnv(ctx.env, ctx.runId, mailbox),
    // The home directory, as under cron: the same place however syncmail was started.
    cwd: ctx.env['HOME'] || '/',
    timeoutMs: ctx.timeoutSeconds * 1000,
    track: ctx.track,
  });
  return {
    event: 'hook',
    hook: 'afterSync',
    scope,
    command: commandText(command),
    delivered: delivered.length,
    code: result.code,
    ...(result.timedOut ? { timedOut: true } : {}),
    ...(result.failed === undefined ? {} : { failed: result.failed }),
    output: result.output,
    ms: result.ms,
  };
}
