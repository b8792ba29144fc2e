// Splits a byte stream into lines without ever holding more than one line: 100,000 messages must not
// grow memory. Bytes are read as latin1 so each byte is one char and nothing is lost before the escape
// decoder sees it (rsync's own output is ASCII under LC_ALL=C, but ssh's messages need not be).
import type { Readable } from 'node:stream';

export function forEachLine(stream: Readable, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let rest = '';
    stream.setEncoding('latin1');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) onLine(part);
    });
    stream.on('end', () => {
      if (rest !== '') onLine(rest);
      resolve();
    });
    stream.on('error', reject);
  });
}
