// What one line of rsync output means, for the passes syncmail runs (rsync/argv.ts). rsync escapes every
// name it prints (\#ooo), so names here are the decoded raw bytes, as Buffers: a server may send any
// byte sequence except '/' and NUL.

/** Why a pass failed, as a stderr line of rsync or ssh says it (see RANK and FAILURES in parse.ts). */
export type FailureReason =
  | 'host-key' // the server's host key is unknown or changed
  | 'auth' // the server refused the login
  | 'unknown-host' // the host name does not exist (DNS says so for sure; not a temporary failure)
  | 'forced-command' // a forced command on the server (rrsync) refused what rsync asked for
  | 'server-shell-output' // the server's login shell prints text before rsync starts
  | 'old-server-rsync' // the server's rsync does not know an option it was sent (3.0.x: --info)
  | 'disk-full' // ENOSPC or EDQUOT on the local side
  | 'local-write' // the local side may not write (EACCES, EROFS)
  | 'no-remote-dir' // the server path does not exist
  | 'no-server-rsync' // rsync is not installed on the server
  | 'unreachable' // connection refused, timed out, dropped, stalled
  // Per file: the pass went on with every other file (PER_FILE in parse.ts).
  | 'server-remove-denied' // the server account may not delete a message from new/ (EACCES, EROFS)
  | 'unreadable-server-file'; // the server account cannot read a message

export type RsyncEvent =
  /** `sender removed NAME`: the server copy was unlinked. The only positive proof of a move. */
  | { readonly kind: 'removed'; readonly name: Buffer }
  /** `sender file already removed: NAME`: it was gone when rsync went to unlink it. */
  | { readonly kind: 'already-removed'; readonly name: Buffer }
  /** `skipping non-regular file "NAME"`: a symlink (no --links), FIFO, socket or device. */
  | { readonly kind: 'nonregular'; readonly name: Buffer }
  /** stderr `file has vanished: "PATH"` (the full source path as the sender sees it). */
  | { readonly kind: 'vanished'; readonly path: Buffer }
  /**
   * stderr `ERROR: Skipping sender remove for changed file: NAME`, or, in the remove pass, rsync's refusal
   * to receive NAME (it changed on the server since the fetch; see REMOVE_TEMP_DIR in argv.ts).
   */
  | { readonly kind: 'changed'; readonly name: Buffer }
  /** A STATS2 line, e.g. "Number of regular files transferred: 4" → key "regular files transferred". */
  | { readonly kind: 'stat'; readonly key: string; readonly value: number }
  /**
   * A stderr line that says why the pass failed; `text` is the line, terminal-safe. `subject`, where the
   * line names one, is what it is about, terminal-safe too: the server path of an unreadable file
   * (`rsync: [sender] send_files failed to open "PATH": ...`), the name in new/ of a message the server
   * could not delete (`rsync: [sender] sender failed to remove NAME: ...`), or the option an old server
   * rsync does not know (`rsync: on remote machine: OPTION: unknown option`).
   */
  | {
      readonly kind: 'failure';
      readonly reason: FailureReason;
      readonly text: string;
      readonly subject?: string;
    }
  /** Any other line, kept verbatim (escapes decoded, terminal-safe). */
  | { readonly kind: 'message'; readonly stream: 'stdout' | 'stderr'; readonly text: string };
