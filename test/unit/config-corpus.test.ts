// The corpus of broken configs in test/fixtures/configs/bad/: each file must fail with a ConfigError (exit 78)
// whose problem lines are exactly the ones listed for it in expected.json (one expected substring per problem,
// in order, and no other problem), and loading must print nothing.

import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, '../fixtures/configs');
const badDir = join(fixtures, 'bad');
const expected = JSON.parse(readFileSync(join(badDir, 'expected.json'), 'utf8')) as Record<
  string,
  string[]
>;
const corpus = readdirSync(badDir)
  .filter((name) => name !== 'expected.json')
  .sort();

/** Runs `work` while recording anything written to stdout or stderr. */
async function silent<T>(
  work: () => Promise<T>,
): Promise<{ result: PromiseSettledResult<T>; printed: string }> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let printed = '';
  const record = (chunk: unknown): boolean => {
    printed += String(chunk);
    return true;
  };
  process.stdout.write = record as typeof process.stdout.write;
  process.stderr.write = record as typeof process.stderr.write;
  try {
    const [result] = await Promise.allSettled([work()]);
    return { result: result!, printed };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

test('the corpus has at least 35 configs, and expected.json lists exactly those', () => {
  assert.ok(corpus.length >= 35, `only ${corpus.length} fixtures`);
  assert.equal(Object.keys(expected).sort(), corpus);
  for (const [name, lines] of Object.entries(expected)) {
    assert.ok(Array.isArray(lines) && lines.length > 0, `${name}: no expected message`);
  }
});

test('every broken config fails with exactly its expected problems', async () => {
  // Copies in a private directory: the checkout's own permissions (say, a group-writable clone) must not matter.
  const work = mkdtempSync(join(tmpdir(), 'syncmail-corpus-'));
  const home = join(work, 'home');
  mkdirSync(home);
  const failures: string[] = [];
  try {
    for (const name of corpus) {
      const file = join(work, name);
      copyFileSync(join(badDir, name), file);
      chmodSync(file, 0o600);
      const env = { HOME: home, FIXTURES: fixtures };
      const { result, printed } = await silent(() =>
        loadConfig({ configPath: file, cwd: work, env, homedir: home }),
      );
      const want = expected[name]!;

      if (result.status === 'fulfilled') {
        failures.push(`${name}: loaded without an error`);
        continue;
      }
      const error: unknown = result.reason;
      if (!(error instanceof ConfigError)) {
        failures.push(`${name}: threw ${String(error)} instead of a ConfigError`);
        continue;
      }
      if (error.exitCode !== 78) failures.push(`${name}: exit code ${error.exitCode}`);
      if (error.file !== file)
        failures.push(`${name}: the error names ${error.file}, not the file`);
      if (printed !== '') failures.push(`${name}: printed ${JSON.stringify(printed)}`);
      if (error.problems.length !== want.length) {
        failures.push(
          `${name}: expected ${want.length} problem(s), got:\n    ${error.problems.join('\n    ')}`,
        );
        continue;
      }
      want.forEach((part, index) => {
        const line = error.problems[index]!;
        if (!line.includes(part))
          failures.push(
            `${name}: problem ${index + 1} is\n    ${line}\n  expected it to contain\n    ${part}`,
          );
        if (!error.message.includes(part))
          failures.push(`${name}: the message lacks ${JSON.stringify(part)}`);
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  assert.equal(failures, [], failures.join('\n'));
});

test.run();
