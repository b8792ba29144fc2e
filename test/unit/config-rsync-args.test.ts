import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRsyncArg } from '../../src/config/rsync-args.js';

test('every option on the allowlist is accepted', () => {
  const allowed = [
    '--bwlimit=500',
    '--bwlimit=1.5m',
    '--bwlimit=100KiB',
    '--rsync-path=/usr/local/bin/rsync',
    '--rsync-path=sudo -u mail rsync',
    '-z',
    '--compress',
    '--compress-level=9',
    '--compress-level=-1',
    '--compress-choice=zstd',
    '--zc=lz4',
    '--checksum-choice=xxh128',
    '--cc=xxh3,md5',
    '-4',
    '--ipv4',
    '-6',
    '--ipv6',
    '--fsync',
    '--sockopts=SO_SNDBUF=65536,TCP_NODELAY',
    '--blocking-io',
    '--no-motd',
  ];
  for (const arg of allowed) assert.is(checkRsyncArg(arg), undefined, arg);
});

const REASONS: Record<string, string[]> = {
  'it would delete local mail': [
    '--delete',
    '--delete-before',
    '--delete-during',
    '--delete-delay',
    '--delete-after',
    '--delete-excluded',
    '--delete-missing-args',
    '--del',
  ],
  'it would expose half-written messages': [
    '--inplace',
    '--append',
    '--append-verify',
    '--partial',
    '-P',
  ],
  'it would follow or create symlinks from the server': [
    '--copy-links',
    '-L',
    '--copy-unsafe-links',
    '--links',
    '-l',
    '-a',
    '--archive',
    '-k',
    '-K',
  ],
  "it would let the server's shell split remote paths": ['--old-args'],
  'syncmail sets this itself': [
    '--remove-source-files',
    '--ignore-existing',
    '--partial-dir=.p',
    '--temp-dir=/tmp',
    '-T',
    '-e',
    '--rsh=ssh',
    '--files-from=list',
  ],
  'use the ioTimeout setting instead': ['--timeout=60'],
  'use the maxMinutes setting instead': ['--stop-after=5', '--time-limit=5'],
};

test('the dangerous options are refused, each with its reason', () => {
  for (const [reason, args] of Object.entries(REASONS)) {
    for (const arg of args)
      assert.is(checkRsyncArg(arg), `${JSON.stringify(arg)} is not allowed: ${reason}`, arg);
  }
});

test('--delay-updates is not mistaken for a --del option', () => {
  const problem = checkRsyncArg('--delay-updates');
  assert.ok(problem !== undefined && !problem.includes('delete local mail'), problem);
  assert.match(problem!, 'the rsync options allowed here are');
});

test('anything else is refused, listing what is allowed', () => {
  for (const arg of [
    '--progress',
    '-v',
    '--exclude=*.tmp',
    '--chmod=600',
    '--whole-file',
    '--bwlimitx=5',
    '--compres',
  ]) {
    const problem = checkRsyncArg(arg);
    assert.is(
      problem,
      `${JSON.stringify(arg)} is not allowed; the rsync options allowed here are: --bwlimit=N, --rsync-path=PATH, -z/--compress, --compress-level=N, --compress-choice=NAME (--zc), --checksum-choice=NAME (--cc), -4/--ipv4, -6/--ipv6, --fsync, --sockopts=OPTIONS, --blocking-io, --no-motd`,
    );
  }
});

test('combined short options: the first dangerous letter is named', () => {
  assert.is(
    checkRsyncArg('-avz'),
    '"-avz" is not allowed: -a would follow or create symlinks from the server',
  );
  assert.is(
    checkRsyncArg('-zL'),
    '"-zL" is not allowed: -L would follow or create symlinks from the server',
  );
  assert.is(
    checkRsyncArg('-essh -p 22'),
    '"-essh -p 22" holds more than one word; put each option in its own list item, with its value after "=" (e.g. --bwlimit=500)',
  );
  assert.is(checkRsyncArg('-essh'), '"-essh" is not allowed: -e: syncmail sets this itself');
  assert.is(checkRsyncArg('-z4'), '"-z4": write each option as its own list item: "-z", "-4"');
  assert.match(checkRsyncArg('-zv')!, 'the rsync options allowed here are');
});

test('one option per item, values joined with "="', () => {
  assert.match(
    checkRsyncArg('-z --bwlimit=500')!,
    'holds more than one word; put each option in its own list item',
  );
  assert.match(checkRsyncArg('--bwlimit 500')!, 'holds more than one word');
  assert.is(
    checkRsyncArg('--bwlimit'),
    '"--bwlimit" needs its value in the same item, e.g. --bwlimit=…',
  );
  assert.is(
    checkRsyncArg('500'),
    '"500" is not an rsync option; give a value together with its option, e.g. --bwlimit=500',
  );
  assert.match(checkRsyncArg('-')!, 'is not an rsync option');
  assert.match(checkRsyncArg('--')!, 'is not an rsync option');
});

test('values are checked', () => {
  assert.is(
    checkRsyncArg('--bwlimit=fast'),
    '"--bwlimit=fast": "fast" is not a valid value for --bwlimit',
  );
  assert.match(checkRsyncArg('--bwlimit=')!, 'is not a valid value for --bwlimit');
  assert.match(
    checkRsyncArg('--compress-level=high')!,
    'is not a valid value for --compress-level',
  );
  assert.match(checkRsyncArg('--zc=zstd lz4')!, 'is not a valid value for --zc');
  assert.match(checkRsyncArg('--rsync-path=')!, 'is not a valid value for --rsync-path');
  assert.is(checkRsyncArg('--compress=9'), '"--compress=9": --compress takes no value');
  assert.is(checkRsyncArg('--fsync=yes'), '"--fsync=yes": --fsync takes no value');
});

test('anything that starts with --delete is refused as deleting mail', () => {
  fc.assert(
    fc.property(
      fc.string(),
      (tail) =>
        checkRsyncArg(`--delete${tail}`) ===
        `${JSON.stringify(`--delete${tail}`)} is not allowed: it would delete local mail`,
    ),
  );
});

test('only a known set of arguments is ever accepted', () => {
  const known =
    /^(-z|--compress|-4|--ipv4|-6|--ipv6|--fsync|--blocking-io|--no-motd|--(bwlimit|rsync-path|compress-level|compress-choice|zc|checksum-choice|cc|sockopts)=.+)$/s;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.string().map((s) => `-${s}`),
        fc.string().map((s) => `--${s}`),
      ),
      (arg) => {
        return checkRsyncArg(arg) !== undefined || known.test(arg);
      },
    ),
  );
});

test.run();
