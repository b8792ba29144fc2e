// What one line of rsync output means, for the passes syncmail runs (rsync/argv.ts). rsync escapes every
// name it prints (\#ooo), so names here are the decoded raw bytes, as Buffers: a server may send any
// byte sequence except '/' and NUL.

/** Why a pass failed, as a stderr line of rsync or ssh says it (see FAILURES in parse.ts). */
export type FailureReason =
  | 'host-key' // the server's host key is unknown or changed
  | 'auth' // the server refused the login
  | 'disk-full' // ENOSPC or EDQUOT on the local side
  | 'local-write' // the local side may not write (EACCES, EROFS)
  | 'no-remote-dir' // the server path does not exist
  | 'no-server-rsync' // rsync is not installed on the server
  | 'unreachable'; // connection refused, timed out, dropped, stalled

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
  /** A stderr line that says why the pass failed; `text` is the line, terminal-safe. */
  | { readonly kind: 'failure'; readonly reason: FailureReason; readonly text: string }
  /** Any other line, kept verbatim (escapes decoded, terminal-safe). */
  | { readonly kind: 'message'; readonly stream: 'stdout' | 'stderr'; readonly text: string };
