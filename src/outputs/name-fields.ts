// Lossless JSON fields for a file name (raw bytes from the server).
//
//   valid UTF-8  → { file: "<the exact string>" }   JSON.stringify escapes controls by itself
//   anything else → { file: displayName(bytes), file_b64: "<the exact bytes, standard base64>" }
//
// `file` is always readable; when `file_b64` is present it is the authority and `file` is only a hint
// for people (it uses the \xHH scheme of displayName and cannot be turned back into bytes reliably).

import { isUtf8 } from 'node:buffer';
import { displayName } from '../text/display-name.js';

export type NameFields =
  | { readonly file: string }
  | { readonly file: string; readonly file_b64: string };

/** Fields for a log record. isUtf8 is strict: overlong forms and encoded surrogates are not UTF-8. */
export function nameFields(name: Buffer): NameFields {
  if (isUtf8(name)) return { file: name.toString('utf8') };
  return { file: displayName(name), file_b64: name.toString('base64') };
}

/**
 * The exact bytes back from fields made by nameFields (e.g. after a JSON round trip).
 * @throws TypeError when file_b64 is not canonical base64 or `file` is not well-formed Unicode.
 */
export function nameFromFields(fields: {
  readonly file: string;
  readonly file_b64?: string | undefined;
}): Buffer {
  const b64 = fields.file_b64;
  if (b64 !== undefined) {
    // Buffer.from ignores bad characters and accepts base64url; re-encoding catches all of that.
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.toString('base64') !== b64) {
      throw new TypeError(
        `nameFromFields: file_b64 is not canonical base64: ${JSON.stringify(b64)}`,
      );
    }
    return bytes;
  }
  const bytes = Buffer.from(fields.file, 'utf8');
  // A lone surrogate would silently become U+FFFD: refuse instead of returning other bytes.
  if (bytes.toString('utf8') !== fields.file) {
    throw new TypeError(
      `nameFromFields: file is not well-formed Unicode: ${JSON.stringify(fields.file)}`,
    );
  }
  return bytes;
}
