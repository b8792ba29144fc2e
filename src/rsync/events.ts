// What one line of rsync output means. rsync escapes every name it prints (\#ooo), so names here are the
// decoded raw bytes, as Buffers: a server may send any byte sequence except '/' and NUL.

export type RsyncEvent =
  /** `sender removed NAME`: the server copy was unlinked. The only positive proof of a move. */
  | { readonly kind: 'removed'; readonly name: Buffer }
  /** `sender file already removed: NAME`: it was gone when rsync went to unlink it. */
  | { readonly kind: 'already-removed'; readonly name: Buffer }
  /** `NAME exists` or `NAME exists (uptodate)` etc. (SKIP1/SKIP2, only with --ignore-existing). */
  | { readonly kind: 'exists'; readonly name: Buffer; readonly reason: string | undefined }
  /** `skipping non-regular file "NAME"`: symlink (without --links), FIFO, socket or device. */
  | { readonly kind: 'nonregular'; readonly name: Buffer }
  /** `ignoring unsafe symlink "NAME" -> "TARGET"` (NAME1 with --links --safe-links). */
  | { readonly kind: 'unsafe-symlink'; readonly name: Buffer; readonly target: Buffer }
  /** `[sender] skipping mount-point dir NAME` (MOUNT1 with -xx). */
  | { readonly kind: 'mount-point'; readonly name: Buffer }
  /** stderr `file has vanished: "PATH"` (full source path as the sender sees it). */
  | { readonly kind: 'vanished'; readonly path: Buffer }
  /** stderr `ERROR: Skipping sender remove for changed file: NAME`. */
  | { readonly kind: 'changed'; readonly name: Buffer }
  /** stderr `rsync: ... No space left on device (28)` and other local write failures. */
  | { readonly kind: 'disk-full'; readonly text: string }
  /** stderr `rsync error: TEXT (code N) at ...` or `rsync warning: TEXT (code N) at ...`. */
  | {
      readonly kind: 'exit-report';
      readonly severity: 'error' | 'warning';
      readonly code: number;
      readonly text: string;
    }
  /** stats lines (STATS2), e.g. "Number of regular files transferred: 4" → key "regular files transferred". */
  | { readonly kind: 'stat'; readonly key: string; readonly value: number }
  /** Any other stderr line from rsync (`rsync: ...`) or ssh: kept verbatim (escapes decoded for display). */
  | { readonly kind: 'message'; readonly stream: 'stdout' | 'stderr'; readonly text: string }
  /** A plain name line (NAME1 / --out-format=%n). Only emitted when the caller asked for names. */
  | { readonly kind: 'name'; readonly name: Buffer };

export type RsyncEventKind = RsyncEvent['kind'];
