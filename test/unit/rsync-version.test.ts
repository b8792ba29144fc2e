// The local rsync's version check (rsync/version.ts) and its cache: an accepted rsync is asked once
// while the same file is installed; a replaced file, another rsync earlier in PATH, or a refused version
// is asked again. The fake rsync is a shell script that counts its calls.
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRsyncVersion, programIdentity } from '../../src/rsync/version.js';

const test = suite<{ dir: string }>('rsync version cache', { dir: '' });

test.before.each((ctx) => {
  ctx.dir = mkdtempSync(path.join(tmpdir(), 'syncmail-version-'));
});
test.after.each((ctx) => {
  rmSync(ctx.dir, { recursive: true, force: true });
});

/** A fake rsync in `dir` that prints `version` and appends a line to `dir/calls` each time it runs. */
function fakeRsync(dir: string, version: string): string {
  const file = path.join(dir, 'rsync');
  writeFileSync(
    file,
    `#!/bin/sh\necho x >> '${path.join(dir, 'calls')}'\necho 'rsync  version ${version}  protocol version 31'\n`,
  );
  chmodSync(file, 0o755);
  return file;
}

const calls = (dir: string): number => {
  try {
    return readFileSync(path.join(dir, 'calls'), 'utf8').split('\n').length - 1;
  } catch {
    return 0;
  }
};

test('an accepted rsync is asked once; a changed file is asked again', async ({ dir }) => {
  const rsync = fakeRsync(dir, '3.4.1');
  const cache = path.join(dir, 'state', 'rsync-version.json');
  const env = { PATH: '/usr/bin:/bin' };
  assert.is(await checkRsyncVersion(rsync, env, { file: cache, remember: true }), '3.4.1');
  assert.is(await checkRsyncVersion(rsync, env, { file: cache, remember: true }), '3.4.1');
  assert.is(calls(dir), 1);
  appendFileSync(rsync, '# upgraded\n');
  assert.is(await checkRsyncVersion(rsync, env, { file: cache, remember: true }), '3.4.1');
  assert.is(calls(dir), 2, 'a different size or mtime is another rsync');
  assert.is(await checkRsyncVersion(rsync, env), '3.4.1', 'without a cache file');
  assert.is(calls(dir), 3);
});

test('found through PATH: another rsync earlier in PATH is asked', async ({ dir }) => {
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const cache = path.join(dir, 'cache.json');
  mkdirSync(a);
  mkdirSync(b);
  fakeRsync(b, '3.2.7');
  assert.is(
    await checkRsyncVersion('rsync', { PATH: `${a}:${b}` }, { file: cache, remember: true }),
    '3.2.7',
  );
  assert.is(
    await checkRsyncVersion('rsync', { PATH: `${a}:${b}` }, { file: cache, remember: true }),
    '3.2.7',
  );
  assert.is(calls(b), 1);
  fakeRsync(a, '3.5.0');
  assert.is(
    await checkRsyncVersion('rsync', { PATH: `${a}:${b}` }, { file: cache, remember: true }),
    '3.5.0',
  );
  assert.is(calls(a), 1);
  assert.ok(programIdentity('rsync', `${a}:${b}`)?.startsWith(path.join(a, 'rsync')));
  assert.is(
    programIdentity('rsync', 'relative/dir'),
    undefined,
    'a relative PATH entry is not searched',
  );
});

test('a refused rsync is never remembered, and a cache naming an old version is not believed', async ({
  dir,
}) => {
  const rsync = fakeRsync(dir, '3.2.3');
  const cache = path.join(dir, 'cache.json');
  for (let i = 0; i < 2; i++) {
    try {
      await checkRsyncVersion(rsync, { PATH: '/bin' }, { file: cache, remember: true });
      assert.unreachable('3.2.3 was accepted');
    } catch (error) {
      assert.match(String((error as Error).message), /rsync 3\.2\.3 is too old/);
    }
  }
  assert.is(calls(dir), 2);
  const identity = programIdentity(rsync, '/bin');
  writeFileSync(cache, JSON.stringify({ identity, version: '3.2.3' }));
  await checkRsyncVersion(rsync, { PATH: '/bin' }, { file: cache, remember: true }).catch(
    () => undefined,
  );
  assert.is(
    calls(dir),
    3,
    'a forged or stale cache entry for a refused version makes syncmail ask',
  );
});

test.run();
