// The run's notification, from its delivered messages: nothing at all without a session bus (the
// 'notified' event in the log says why), else what message.ts words, sent by send.ts.
import type { Config } from '../config/types.js';
import type { SyncEvent } from '../events.js';
import type { HeaderCache } from '../hooks/after-sync.js';
import { UNKNOWN_HEADERS } from '../hooks/headers-of.js';
import type { DeliveredEvent } from '../hooks/payload.js';
import { noticeOf } from './message.js';
import { sendNotice, sessionBus } from './send.js';

export type NotifiedEvent = Extract<SyncEvent, { event: 'notified' }>;

export const NO_BUS = 'no session bus';

export async function notifyNewMail(
  delivered: readonly DeliveredEvent[],
  config: Pick<Config, 'notifyDetail' | 'state'>,
  env: Readonly<Record<string, string | undefined>>,
  headers: HeaderCache,
): Promise<NotifiedEvent> {
  const messages = delivered.length;
  const bus = sessionBus(env);
  if (bus === undefined) return { event: 'notified', messages, failed: NO_BUS };
  // Only counts: no header is read.
  const withHeaders =
    config.notifyDetail === 'count'
      ? delivered.map((event) => ({ event, headers: UNKNOWN_HEADERS }))
      : await headers.with(delivered);
  const notice = noticeOf(withHeaders, config.notifyDetail);
  if (notice === undefined) return { event: 'notified', messages };
  const failed = await sendNotice(notice, { env, bus, state: config.state });
  return { event: 'notified', messages, ...(failed === undefined ? {} : { failed }) };
}
