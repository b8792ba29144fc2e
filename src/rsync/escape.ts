// rsync's escaping of names in its messages (log.c filtered_fwrite), as measured with rsync 3.2.7 and
// 3.5.0 under LC_ALL=C (the same in both; see test/fixtures/rsync and scripts/capture-rsync-fixtures.ts):
//
//   * every byte < 0x20 except TAB is written as `\#ooo` (a backslash, '#', three octal digits);
//   * every byte >= 0x80 is written as `\#ooo` too (LC_ALL=C: no multibyte character is printable);
//   * a backslash is written as `\#134` only when '#' and three DECIMAL digits follow it
//     (`\#123` → `\#134#123`, `\#999` → `\#134#999`, but `\#89a` and `\#12` stay raw);
//   * everything else (TAB, DEL 0x7f, '"', ' -> ', a lone backslash...) is written raw.
//
// So an escape in the output is always `\#` followed by three octal digits whose value is < 0o400, and a
// raw name can never produce that shape by itself: decoding left to right is unambiguous and exact.
//
// CONTRACT: rsync output must be read as latin1 ("binary"): one char per byte, U+0000–U+00FF. That is
// the only decoding that maps every byte sequence to a string and back without loss. A char above U+00FF
// means the caller decoded the output as UTF-8 (which replaces invalid bytes by U+FFFD and loses the
// original bytes), so decodeRsyncEscapes throws a RangeError instead of guessing.

const BACKSLASH = 0x5c;
const HASH = 0x23;
const TAB = 0x09;

function isOctalDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x37;
}

function isDecimalDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/**
 * Decodes the `\#ooo` escapes of one rsync message (or part of one) back into the exact bytes.
 * `text` is rsync output read as latin1: each char is one byte (see the contract above).
 * `\#` followed by anything other than three octal digits with a value <= 0o377 is kept literally
 * (rsync never writes that as an escape).
 * @throws RangeError when `text` contains a char above U+00FF.
 */
export function decodeRsyncEscapes(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  let n = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c > 0xff) {
      throw new RangeError(
        `decodeRsyncEscapes: char U+${c.toString(16).toUpperCase().padStart(4, '0')} at offset ${i}: rsync output must be read as latin1`,
      );
    }
    if (c === BACKSLASH && i + 4 < text.length && text.charCodeAt(i + 1) === HASH) {
      const d1 = text.charCodeAt(i + 2);
      const d2 = text.charCodeAt(i + 3);
      const d3 = text.charCodeAt(i + 4);
      // The first digit is 0-3: a byte is at most \#377.
      if (d1 >= 0x30 && d1 <= 0x33 && isOctalDigit(d2) && isOctalDigit(d3)) {
        out[n++] = ((d1 - 0x30) << 6) | ((d2 - 0x30) << 3) | (d3 - 0x30);
        i += 5;
        continue;
      }
    }
    out[n++] = c;
    i += 1;
  }
  return out.subarray(0, n);
}

/**
 * What rsync 3.5.0 prints for the name `name` under LC_ALL=C (without -8), as a latin1 string: the
 * inverse of decodeRsyncEscapes for every name. Valid for a name followed in the message by a
 * non-digit or by the end of the line, which holds for every message shape rsync prints.
 */
export function encodeRsyncEscapes(name: Buffer): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const b = name[i]!;
    const escaped =
      (b < 0x20 && b !== TAB) ||
      b >= 0x80 ||
      (b === BACKSLASH &&
        name[i + 1] === HASH &&
        isDecimalDigit(name[i + 2]) &&
        isDecimalDigit(name[i + 3]) &&
        isDecimalDigit(name[i + 4]));
    out += escaped ? `\\#${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b);
  }
  return out;
}
