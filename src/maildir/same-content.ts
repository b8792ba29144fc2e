// Whether two files hold the same bytes. Used only for name collisions, which are rare, so a plain
// streaming compare is fine; the same inode (a stage file linked into new/) short-cuts it.
import { open, stat } from 'node:fs/promises';

const CHUNK = 64 * 1024;

export async function sameContent(a: Buffer | string, b: Buffer | string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
  if (sa.size !== sb.size) return false;
  const [fa, fb] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const ba = Buffer.alloc(CHUNK);
    const bb = Buffer.alloc(CHUNK);
    for (;;) {
      const [ra, rb] = await Promise.all([
        fa.read(ba, 0, CHUNK, null),
        fb.read(bb, 0, CHUNK, null),
      ]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}
