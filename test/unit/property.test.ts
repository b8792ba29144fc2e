import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nameFields, nameFromFields } from '../../src/outputs/name-fields.js';
import { decodeRsyncEscapes, encodeRsyncEscapes } from '../../src/rsync/escape.js';
import { parseRsyncLine } from '../../src/rsync/parse.js';
import { displayName } from '../../src/text/display-name.js';

const RUNS = { numRuns: 3000 };

// File names: 1–255 bytes, never '/' or NUL. Built from chunks biased towards what matters for the
// escaping and the parsing: backslash-#-digits sequences, controls, quotes, arrows, high bytes.
const interestingByte = fc.constantFrom(
  0x5c,
  0x23,
  0x30,
  0x31,
  0x33,
  0x37,
  0x38,
  0x39,
  0x09,
  0x0a,
  0x0d,
  0x1b,
  0x7f,
  0x80,
  0x9b,
  0xc2,
  0xe2,
  0xed,
  0xf4,
  0xff,
  0x22,
  0x20,
  0x2d,
  0x3e,
);
const anyByte = fc.integer({ min: 1, max: 255 }).filter((x) => x !== 0x2f);
const fragment = fc.constantFrom(
  '\\#123',
  '\\#999',
  '\\#377',
  '\\#400',
  '\\#12',
  '\\#',
  '\\\\',
  '" -> "',
  '"',
  'sender removed ',
  ' exists',
  '\r',
  '\xc2\x9b',
  '\xe2\x80\xae',
);
const chunk = fc.oneof(
  interestingByte.map((x) => Buffer.from([x])),
  anyByte.map((x) => Buffer.from([x])),
  fragment.map((f) => Buffer.from(f, 'latin1')),
);
const byteName = fc
  .array(chunk, { minLength: 1, maxLength: 120 })
  .map((chunks) => Buffer.concat(chunks).subarray(0, 255));
const utf8Name = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 60 })
  .map((s) => Buffer.from(s, 'utf8'))
  .filter((n) => n.length >= 1 && n.length <= 255 && !n.includes(0) && !n.includes(0x2f));
const fileName = fc.oneof(byteName, utf8Name);
const latin1Line = fc.string({
  unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
  maxLength: 120,
});

/** Test-only inverse of displayName's scheme; also counts the \xHH of invalid UTF-8 bytes. */
function undisplay(s: string): { bytes: Buffer; invalid: number } {
  const parts: Buffer[] = [];
  let invalid = 0;
  let i = 0;
  while (i < s.length) {
    if (s[i] !== '\\') {
      const ch = String.fromCodePoint(s.codePointAt(i)!);
      parts.push(Buffer.from(ch, 'utf8'));
      i += ch.length;
      continue;
    }
    const simple: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r' };
    const c = s[i + 1] ?? '';
    if (c in simple) {
      parts.push(Buffer.from(simple[c]!, 'latin1'));
      i += 2;
    } else if (c === 'x') {
      const hex = s.slice(i + 2, i + 4);
      if (!/^[0-9a-f]{2}$/.test(hex)) throw new Error(`bad \\x at ${i}: ${s}`);
      const v = parseInt(hex, 16);
      if (v >= 0x80) invalid++;
      parts.push(Buffer.from([v]));
      i += 4;
    } else if (c === 'u') {
      const m = /^\\u\{([0-9a-f]+)\}/.exec(s.slice(i));
      if (!m) throw new Error(`bad \\u at ${i}: ${s}`);
      parts.push(Buffer.from(String.fromCodePoint(parseInt(m[1]!, 16)), 'utf8'));
      i += m[0].length;
    } else {
      throw new Error(`unknown escape at ${i}: ${s}`);
    }
  }
  return { bytes: Buffer.concat(parts), invalid };
}

test('encode → `sender removed` line → parse gives the exact bytes', () => {
  fc.assert(
    fc.property(fileName, (name) => {
      const printed = encodeRsyncEscapes(name);
      assert.equal(parseRsyncLine(`sender removed ${printed}`, 'stdout'), {
        kind: 'removed',
        name,
      });
      assert.equal(parseRsyncLine(`sender removed ${printed}\r`, 'stdout'), {
        kind: 'removed',
        name,
      });
      assert.equal(parseRsyncLine(`sender removed ${printed}\n`, 'stdout'), {
        kind: 'removed',
        name,
      });
      assert.equal(decodeRsyncEscapes(printed), name);
    }),
    RUNS,
  );
});

const FIXED_PREFIX =
  /^(?:sender removed |sender file already removed: |skipping non-regular file ")/;

test('every name-carrying message shape round-trips', () => {
  fc.assert(
    fc.property(fileName, (name) => {
      const n = encodeRsyncEscapes(name);
      assert.equal(parseRsyncLine(`sender file already removed: ${n}`, 'stdout'), {
        kind: 'already-removed',
        name,
      });
      assert.equal(parseRsyncLine(`skipping non-regular file "new/${n}"`, 'stdout'), {
        kind: 'nonregular',
        name: Buffer.concat([Buffer.from('new/'), name]),
      });
      assert.equal(parseRsyncLine(`file has vanished: "/srv/mail/new/${n}"\r`, 'stderr'), {
        kind: 'vanished',
        path: Buffer.concat([Buffer.from('/srv/mail/new/'), name]),
      });
      assert.equal(
        parseRsyncLine(`ERROR: Skipping sender remove for changed file: ${n}`, 'stderr'),
        { kind: 'changed', name },
      );
      // A bare name (the line shape of NAME1, which syncmail never asks for) is never a removal or a skip.
      if (!FIXED_PREFIX.test(n))
        assert.ok(['message', 'stat'].includes(parseRsyncLine(n, 'stdout')?.kind ?? 'message'));
    }),
    RUNS,
  );
});

test('encoded names are single-line ASCII', () => {
  fc.assert(
    fc.property(fileName, (name) => {
      assert.not.match(encodeRsyncEscapes(name), /[\x00-\x08\x0a-\x1f\x80-\uffff]/);
    }),
    RUNS,
  );
});

test('nameFields → JSON → nameFromFields gives the same bytes', () => {
  fc.assert(
    fc.property(fileName, (name) => {
      const fields = nameFields(name);
      const back = nameFromFields(
        JSON.parse(JSON.stringify(fields)) as { file: string; file_b64?: string },
      );
      assert.equal(back, name);
      if (!('file_b64' in fields)) assert.is(Buffer.from(fields.file, 'utf8').equals(name), true);
    }),
    RUNS,
  );
});

test('displayName: never a control char, and the scheme is reversible (hence injective)', () => {
  fc.assert(
    fc.property(fileName, (name) => {
      const shown = displayName(name);
      assert.not.match(shown, /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
      const { bytes, invalid } = undisplay(shown);
      assert.equal(bytes, name);
      // displayName's own UTF-8 decoder agrees with node's isUtf8 (used by nameFields).
      assert.is(invalid > 0, 'file_b64' in nameFields(name));
    }),
    RUNS,
  );
});

test('any latin1 line: decode and parse never throw, names decode to at most the line length', () => {
  fc.assert(
    fc.property(
      latin1Line,
      fc.constantFrom('stdout' as const, 'stderr' as const),
      (line, stream) => {
        assert.ok(decodeRsyncEscapes(line).length <= line.length);
        const event = parseRsyncLine(line, stream);
        if (event === undefined)
          assert.ok(['', '\r', '\n', '\r\n'].includes(line), JSON.stringify(line));
        else if (event.kind === 'message' || event.kind === 'failure')
          assert.not.match(event.text, /[\x00-\x1f\x7f-\x9f]/);
      },
    ),
    RUNS,
  );
});

test.run();
