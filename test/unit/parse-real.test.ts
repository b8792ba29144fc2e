// The parser against REAL rsync output (local mode, no sshd needed): hostile names are written to a
// temp dir, moved with the real rsync, and the names parsed from its output must be the exact bytes.
// It runs with every rsync version that test/fixtures/rsync has captures of, so each version syncmail
// is proven with is also run here; a version without a binary fails (scripts/setup.sh unpacks the
// ones the system lacks under .rsync/).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeRsyncEscapes } from '../../src/rsync/escape.js';
import type { RsyncEvent } from '../../src/rsync/events.js';
import { parseRsyncLine } from '../../src/rsync/parse.js';
import { capturedVersions, hostileNames, rsyncBinary } from '../helpers/rsync-fixtures.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
/** A path under `dir` for the raw name bytes (fs accepts Buffer paths). */
const at = (dir: string, name: Buffer): Buffer => Buffer.concat([Buffer.from(`${dir}/`), name]);

function runRsync(
  program: string,
  args: string[],
): { rc: number | null; stdout: string; stderr: string } {
  const r = spawnSync(program, args, { env: { ...process.env, LC_ALL: 'C' }, encoding: 'latin1' });
  if (r.error) throw new Error(`cannot run ${program} (is it installed?): ${r.error.message}`);
  return { rc: r.status, stdout: r.stdout, stderr: r.stderr };
}

function parseAll(text: string, stream: 'stdout' | 'stderr'): RsyncEvent[] {
  const lines = text.split('\n');
  assert.is(lines.pop(), '', `${stream} ends with a newline`);
  return lines
    .map((l) => parseRsyncLine(l, stream))
    .filter((e): e is RsyncEvent => e !== undefined);
}

/** Every single byte value (but '/' and NUL) inside a name, the hostile list, and 300 random names. */
function testNames(): Buffer[] {
  const singles = Array.from({ length: 255 }, (_, i) => i + 1)
    .filter((x) => x !== 0x2f)
    .map((x) => Buffer.concat([b('byte-'), Buffer.from([x]), b('-end')]));
  const chunk = fc.oneof(
    fc
      .integer({ min: 1, max: 255 })
      .filter((x) => x !== 0x2f)
      .map((x) => Buffer.from([x])),
    fc
      .constantFrom(
        '\\#123',
        '\\#999',
        '\\#12',
        '\\\\',
        '" -> "',
        'sender removed ',
        ' exists',
        '\r',
        '\n',
      )
      .map((s) => b(s)),
  );
  const random = fc.sample(
    fc
      .array(chunk, { minLength: 1, maxLength: 80 })
      .map((cs) => Buffer.concat(cs).subarray(0, 255)),
    { numRuns: 300, seed: 20240405 },
  );
  const all = [...singles, ...hostileNames(), ...random].filter(
    (n) => !n.equals(b('.')) && !n.equals(b('..')),
  );
  const unique = new Map(all.map((n) => [n.toString('hex'), n]));
  return [...unique.values()];
}

let root = '';
test.before(() => {
  root = mkdtempSync(join(tmpdir(), 'syncmail-parse-real-'));
});
test.after(() => {
  rmSync(root, { recursive: true, force: true });
});

const VERSIONS = capturedVersions();

/** The binary of a captured version; a test without one fails rather than silently testing less. */
function binary(version: string): string {
  const program = rsyncBinary(version);
  if (program === undefined)
    throw new Error(
      `no rsync ${version} to run: neither the system rsync nor one under .rsync/ (run scripts/setup.sh)`,
    );
  return program;
}

test('every captured version has an rsync binary to run, and it is that version', () => {
  assert.ok(VERSIONS.length >= 2, `captured versions: ${VERSIONS.join(', ')}`);
  for (const version of VERSIONS) {
    const r = runRsync(binary(version), ['--version']);
    assert.match(r.stdout, new RegExp(`^rsync +version ${version.replaceAll('.', '\\.')} `));
  }
});

for (const version of VERSIONS) {
  test(`real rsync ${version} --remove-source-files: every removed name parses back to its exact bytes`, () => {
    const rsync = binary(version);
    const src = join(root, version, 'move-src');
    const dst = join(root, version, 'move-dst');
    mkdirSync(src, { recursive: true });
    mkdirSync(dst);
    const names = testNames();
    assert.ok(names.length > 500, `${names.length} names`);
    for (const name of names) writeFileSync(at(src, name), name);

    const r = runRsync(rsync, [
      '-r',
      '--remove-source-files',
      '--info=REMOVE1',
      `${src}/`,
      `${dst}/`,
    ]);
    assert.is(r.rc, 0, r.stderr);
    assert.is(r.stderr, '');
    const events = parseAll(r.stdout, 'stdout');
    const hex = (n: Buffer): string => n.toString('hex');
    assert.equal(
      events
        .map((e) => (e.kind === 'removed' ? hex(e.name) : `not removed: ${JSON.stringify(e)}`))
        .sort(),
      names.map(hex).sort(),
    );
    // Our encoder predicts rsync's bytes exactly.
    const lines = r.stdout.split('\n').slice(0, -1);
    assert.equal(
      [...lines].sort(),
      names.map((n) => `sender removed ${encodeRsyncEscapes(n)}`).sort(),
    );
    // And rsync really moved them.
    assert.equal(readdirSync(src), []);
    assert.is(readdirSync(dst, { encoding: 'buffer' }).length, names.length);
  });

  test(`real rsync ${version}, the fetch pass flags: hostile symlinks and FIFOs are named as non-regular, never copied`, () => {
    const rsync = binary(version);
    const src = join(root, version, 'shapes-src');
    const dst = join(root, version, 'shapes-dst');
    mkdirSync(src, { recursive: true });
    mkdirSync(dst);
    const unsafe = b('unsafe\n\xff"q -> "z');
    symlinkSync(b('/etc/\xffpasswd\n'), at(src, unsafe));
    const fifo = b('fifo\x1b\xff"');
    // argv strings are UTF-8 in node, so let printf produce the raw bytes of the FIFO's name.
    const mk = spawnSync('bash', ['-c', 'mkfifo -- "$(printf \'fifo\\033\\377"\')"'], { cwd: src });
    assert.is(mk.status, 0, String(mk.stderr));
    assert.ok(
      readdirSync(src, { encoding: 'buffer' }).some((n) => n.equals(fifo)),
      'FIFO created with the exact name',
    );
    const moved = b('new\x07file');
    writeFileSync(at(src, moved), 'x');
    symlinkSync(moved, at(src, b('safe')));

    // No --links, as in syncmail's fetch pass: every symlink is skipped and named, safe or not.
    const r = runRsync(rsync, [
      '-r',
      '--info=NONREG1',
      '--remove-source-files',
      `${src}/`,
      `${dst}/`,
    ]);
    assert.is(r.rc, 0, r.stderr);
    assert.is(r.stderr, '');
    const key = (e: RsyncEvent): string =>
      JSON.stringify(e, (_k, v: unknown) =>
        v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
          ? Buffer.from((v as { data: number[] }).data).toString('hex')
          : v,
      );
    const expected: RsyncEvent[] = [
      { kind: 'nonregular', name: fifo },
      { kind: 'nonregular', name: unsafe },
      { kind: 'nonregular', name: b('safe') },
    ];
    assert.equal(parseAll(r.stdout, 'stdout').map(key).sort(), expected.map(key).sort());
    assert.equal(
      readdirSync(dst, { encoding: 'buffer' }),
      [moved],
      'only the regular file arrived',
    );
  });
}

test.run();
