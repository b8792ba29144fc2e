// Terminal-safe text for a file name (or any byte string received from a server).
//
// Scheme (every escape starts with a backslash, so the mapping is injective: different names never
// look the same):
//   \\            a backslash
//   \t \n \r      TAB, LF, CR
//   \xHH          any other C0 control or DEL (HH < 80, e.g. ESC = \x1b, DEL = \x7f),
//                 or a byte that is not part of valid UTF-8 (HH >= 80, e.g. \xff)
//   \u{HH..}      a valid UTF-8 character that must not reach a terminal raw: the C1 controls
//                 U+0080–U+009F (e.g. \u{9b}, the 8-bit CSI), the bidi controls U+202A–U+202E,
//                 U+2066–U+2069, U+200E, U+200F, U+061C (e.g. \u{202e}) and the line/paragraph
//                 separators U+2028, U+2029. Lowercase hex, no padding.
// Everything else in valid UTF-8 is kept as is. UTF-8 is decoded strictly (no overlong forms, no
// surrogates, nothing above U+10FFFF); each byte that does not start a valid sequence becomes \xHH.
// The result never contains a char < U+0020, U+007F or U+0080–U+009F.

/** Decodes one strictly valid UTF-8 sequence at `i`: [code point, length], or undefined. */
function utf8At(buf: Buffer, i: number): [number, number] | undefined {
  const b0 = buf[i]!;
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number, lo = 0x80, hi = 0xbf): number | undefined => {
    const b = buf[i + k];
    return b !== undefined && b >= lo && b <= hi ? b & 0x3f : undefined;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 === undefined ? undefined : [((b0 & 0x1f) << 6) | c1, 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    // E0: no overlongs (A0..BF); ED: no surrogates (80..9F).
    const c1 = b0 === 0xe0 ? cont(1, 0xa0) : b0 === 0xed ? cont(1, 0x80, 0x9f) : cont(1);
    const c2 = cont(2);
    return c1 === undefined || c2 === undefined
      ? undefined
      : [((b0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    // F0: no overlongs (90..BF); F4: nothing above U+10FFFF (80..8F).
    const c1 = b0 === 0xf0 ? cont(1, 0x90) : b0 === 0xf4 ? cont(1, 0x80, 0x8f) : cont(1);
    const c2 = cont(2);
    const c3 = cont(3);
    return c1 === undefined || c2 === undefined || c3 === undefined
      ? undefined
      : [((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
  }
  return undefined;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Code points kept out of terminals even though they are valid UTF-8 (besides C0, DEL and C1). */
function isInvisibleControl(cp: number): boolean {
  return (
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x200e ||
    cp === 0x200f ||
    cp === 0x061c ||
    cp === 0x2028 ||
    cp === 0x2029
  );
}

/** Terminal-safe, injective text for the bytes of a file name (scheme above). */
export function displayName(name: Buffer): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const decoded = utf8At(name, i);
    if (decoded === undefined) {
      out += `\\x${hex2(name[i]!)}`;
      i += 1;
      continue;
    }
    const [cp, len] = decoded;
    i += len;
    if (cp === 0x5c) out += '\\\\';
    else if (cp === 0x09) out += '\\t';
    else if (cp === 0x0a) out += '\\n';
    else if (cp === 0x0d) out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex2(cp)}`;
    else if ((cp >= 0x80 && cp <= 0x9f) || isInvisibleControl(cp)) out += `\\u{${cp.toString(16)}}`;
    else out += String.fromCodePoint(cp);
  }
  return out;
}
