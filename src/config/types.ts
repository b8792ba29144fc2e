// The validated, expanded configuration that the rest of syncmail works from. Produced by loadConfig();
// nothing outside src/config/ ever sees raw file contents.
import type { Rule } from '../rules/types.js';

/** Where the server Maildir lives. `path` never begins with '-'; `host` never begins with '-'. */
export type Remote =
  | {
      readonly kind: 'ssh';
      readonly user: string | undefined;
      readonly host: string;
      readonly path: string;
    }
  | { readonly kind: 'local'; readonly path: string };

/** A hook's command: a string is run by /bin/sh -c, a list is the program and its arguments. */
export type HookCommand =
  | { readonly kind: 'shell'; readonly command: string }
  | { readonly kind: 'argv'; readonly argv: readonly string[] };

/** What a notification says about new mail: senders and subjects, senders only, or only how many. */
export type NotifyDetail = 'subjects' | 'senders' | 'count';

/** What to do with a server message whose unique name already exists locally with different content. */
export type OnConflict = 'keep' | 'rename';

export interface Mailbox {
  readonly name: string; // [A-Za-z0-9._-]+, unique
  readonly remote: Remote;
  /** The remote as the user wrote it (after ~ and $VAR expansion), for messages. */
  readonly remoteText: string;
  readonly local: string; // absolute, expanded
  readonly ssh: readonly string[]; // mailbox list if given, else the top-level list; ~ expanded
  readonly rsyncArgs: readonly string[];
  /** Where the rules' folder names live (absolute): the mailbox's `folders`, the top level's, or `local`. */
  readonly folders: string;
  /** The mailbox's own rules, then the top level's; empty: everything goes to `local`. */
  readonly rules: readonly Rule[];
  /** Run after this mailbox delivered something (hooks.afterSync in the mailbox). */
  readonly afterSync?: HookCommand | undefined;
}

/** How a folder name becomes a directory: Maildir++ (`folders/.a.b`) or plain (`folders/a/b`). */
export type FolderStyle = 'maildir++' | 'plain';

export interface Config {
  /** The file the config came from, or undefined when built in code (tests). */
  readonly file: string | undefined;
  readonly log: string; // absolute path of the JSON Lines transfer log
  /**
   * Absolute directory for what must outlive the local Maildir's tmp/ (which Maildir readers may clean):
   * which delivered messages still wait for their server copy to be removed, and the server-folder locks.
   */
  readonly state: string;
  readonly onConflict: OnConflict;
  /** Seconds ssh waits for a connection (ssh -o ConnectTimeout). */
  readonly connectTimeout: number;
  /** Seconds of silence on the connection before rsync gives up (rsync --timeout). */
  readonly ioTimeout: number;
  /** Hard limit in minutes for one rsync process; it stops cleanly and resumes next run (--stop-after). */
  readonly maxMinutes: number;
  /** Extra attempts after a transient failure, and the pause before the first (doubled each time). */
  readonly retries: number;
  readonly retryDelay: number; // seconds
  readonly rsync: string; // the rsync program, default "rsync"
  /** How many mailboxes sync at once (mailboxes that share a local Maildir never do). */
  readonly jobs: number;
  /** One ssh connection per server for all of a run's passes, through syncmail's own ControlMaster. */
  readonly shareConnection: boolean;
  readonly folderStyle: FolderStyle;
  /** How often the user runs syncmail (seconds): `status` calls a mailbox stale after 3 times this. */
  readonly schedule: number;
  /** With --quiet, a temporary failure is reported once it has lasted this long (seconds). */
  readonly quietFailuresFor: number;
  /** The transfer log is rotated when it is larger (bytes) or its first record older (seconds). */
  readonly logMaxSize: number;
  readonly logMaxAge: number;
  /** Rotated logs older than this (seconds) are deleted. */
  readonly logKeep: number;
  /** Run after a run delivered something (hooks.afterSync at the top), and how long any hook may take. */
  readonly afterSync?: HookCommand | undefined;
  readonly hookTimeout: number; // seconds
  /** A desktop notification of new mail (notify-send), and what it shows. */
  readonly notify: boolean;
  readonly notifyDetail: NotifyDetail;
  readonly mailboxes: readonly Mailbox[];
}
