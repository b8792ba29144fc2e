// A mailbox's counts and exit code, folded from its events: nothing else keeps them, so what the summary
// says and what the log shows cannot disagree.
import { EXIT, worstExit } from './errors.js';
import type { MailboxEvent } from './events.js';

export interface Tally {
  delivered: number;
  removed: number;
  /** Entries that stay on the server for a person to look at. */
  leftOnServer: number;
  busy: boolean;
  readonly codes: number[];
}

export function newTally(): Tally {
  return { delivered: 0, removed: 0, leftOnServer: 0, busy: false, codes: [] };
}

export function count(tally: Tally, e: MailboxEvent): void {
  switch (e.event) {
    case 'delivered':
      tally.delivered += 1;
      break;
    case 'removed':
      tally.removed += 1;
      break;
    case 'conflict':
    case 'nonregular':
    case 'not-a-message':
    case 'changed':
      tally.leftOnServer += 1;
      tally.codes.push(EXIT.data);
      break;
    case 'copy-conflict':
      // Delivered, and gone from the server; only the copy waits for a person.
      tally.codes.push(EXIT.data);
      break;
    case 'busy':
      tally.busy = true;
      tally.codes.push(EXIT.tempfail);
      break;
    case 'error':
      tally.codes.push(e.code);
      break;
    default:
      break;
  }
}

export function mailboxCode(tally: Tally): number {
  return worstExit(tally.codes);
}
