// One entry of the transfer log: what happened, to which mailbox and which message. The JSON Lines
// schema is documented in the README; keep the two in step.

export type LogEvent =
  | 'run-start' // a run began: version, argv, mailboxes selected
  | 'mailbox-start' // a mailbox began: remote, local
  | 'delivered' // a message is now in local new/ (file; as: the new name when renamed after a conflict)
  | 'removed' // the server copy is gone (rsync confirmed it): the move is complete
  | 'exists' // the same bytes are already in the local Maildir; the server copy will be removed
  | 'conflict' // same unique name, different bytes: left on the server (exit 65)
  | 'nonregular' // a symlink, FIFO, socket or device in the server's new/: left there (exit 65)
  | 'not-a-message' // a subdirectory or dot-file in the server's new/: left there (exit 65)
  | 'vanished' // gone from the server before it could be sent (a reader there moved it)
  | 'changed' // it changed on the server during the sync: left there (exit 65)
  | 'busy' // another syncmail holds this mailbox's lock
  | 'warning'
  | 'error' // class, code, message, hint
  | 'stats' // rsync's end-of-pass numbers
  | 'mailbox-end' // counts and the mailbox's exit code
  | 'run-end'; // the run's exit code, and the signal if one stopped it

export interface LogRecord {
  readonly event: LogEvent;
  readonly mailbox?: string;
  readonly file?: Buffer;
  readonly [key: string]: unknown;
}
