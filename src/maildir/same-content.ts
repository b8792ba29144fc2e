// Whether two files hold the same bytes. Used only for name collisions, which are rare, so a plain
// compare is fine; the same inode (a stage file linked into new/) short-cuts it.
import type { FsPath, MaildirFs } from './fs.js';

const CHUNK = 64 * 1024;

export function sameContent(fs: MaildirFs, a: FsPath, b: FsPath): boolean {
  const sa = fs.stat(a);
  const sb = fs.stat(b);
  if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
  if (sa.size !== sb.size) return false;
  const fa = fs.open(a);
  try {
    const fb = fs.open(b);
    try {
      const ba = Buffer.alloc(CHUNK);
      const bb = Buffer.alloc(CHUNK);
      for (;;) {
        const ra = fs.read(fa, ba);
        const rb = fs.read(fb, bb);
        if (ra !== rb) return false;
        if (ra === 0) return true;
        if (!ba.subarray(0, ra).equals(bb.subarray(0, rb))) return false;
      }
    } finally {
      fs.close(fb);
    }
  } finally {
    fs.close(fa);
  }
}
