#!/usr/bin/env node
// The one test command: runs every test/**/*.test.ts with uvu under tsx (real ESM), streams uvu's output,
// then prints a single closing line, `N passed, N failed` (plus `, N skipped` when some were skipped).
//
//   node scripts/run-tests.mjs            all tests
//   node scripts/run-tests.mjs e2e        only files whose path under test/ matches the regex "e2e"
//   node scripts/run-tests.mjs -b unit    flags (here uvu's --bail) are passed to uvu
//
// Exit status is 1 when uvu exits non-zero or reports nothing, when any test failed, and when no test ran.
// Counting: uvu's Total excludes skipped tests, so failed = Total - Passed. A run that breaks without
// naming a failed test (a test file throwing at import, uvu killed, a crash in an `after` hook) counts
// as one failure, so the closing line never reads "0 failed" for a red run.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const uvuBin = path.join(root, 'node_modules', 'uvu', 'bin.js');

const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help')) {
  process.stdout.write(
    'usage: node scripts/run-tests.mjs [uvu flags] [FILTER]\n' +
      '  FILTER: a regex matched (case-insensitively) against test file paths under test/, e.g. "unit" or "e2e/harness"\n',
  );
  process.exit(0);
}
const flags = args.filter((a) => a.startsWith('-'));
const filters = args.filter((a) => !a.startsWith('-'));
if (filters.length > 1) {
  process.stderr.write(`run-tests: at most one FILTER, got: ${filters.join(' ')}\n`);
  process.exit(2);
}
let pattern = '\\.test\\.ts$';
if (filters[0] !== undefined) {
  try {
    new RegExp(filters[0]);
  } catch (err) {
    process.stderr.write(`run-tests: FILTER is not a valid regex: ${err.message}\n`);
    process.exit(2);
  }
  pattern = `^(?=.*(?:${filters[0]})).*\\.test\\.ts$`;
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', uvuBin, 'test', pattern, '--no-color', ...flags],
  {
    cwd: root,
    stdio: ['inherit', 'pipe', 'inherit'],
  },
);

// Stream stdout through, keeping the tail to read uvu's summary from.
const KEEP = 64 * 1024;
let tail = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk).slice(-KEEP);
});

// Ctrl-C reaches uvu through the terminal's process group; a signal sent to this process alone is passed on.
let forwarded;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    forwarded ??= signal;
    child.kill(signal);
  });
}

const [code, signal] = await new Promise((resolve) => {
  child.once('error', (err) => {
    process.stderr.write(`run-tests: cannot start uvu: ${err.message}\n`);
    resolve([null, null]);
  });
  child.once('close', (c, s) => resolve([c, s]));
});

const clean = tail.replace(/\x1b\[[0-9;]*m/g, '');
const lastNumber = (label) => {
  const matches = [...clean.matchAll(new RegExp(`^[ \\t]*${label}:[ \\t]+(\\d+)[ \\t]*$`, 'gm'))];
  const last = matches.at(-1);
  return last ? Number(last[1]) : undefined;
};
const total = lastNumber('Total');
const passedRaw = lastNumber('Passed');
const skippedRaw = lastNumber('Skipped');

const reasons = [];
const passed = passedRaw ?? 0;
let failed = total !== undefined && passedRaw !== undefined ? Math.max(0, total - passedRaw) : 0;
const skipped = skippedRaw ?? 0;

if (signal) reasons.push(`uvu was killed by ${signal}`);
else if (code === null) reasons.push('uvu did not run');
else if (code !== 0 && failed === 0) reasons.push(`uvu exited with code ${code}`);
else if (code === 0 && failed > 0) {
  // uvu 0.5.6 drops an error thrown by a suite's `before` hook: none of its tests run, nothing is printed.
  reasons.push(
    `${failed} test(s) did not pass but uvu reported no failure: a suite's before hook probably threw`,
  );
}
if (forwarded) reasons.push(`run interrupted by ${forwarded}`);
if (total === undefined || passedRaw === undefined)
  reasons.push('uvu printed no Total/Passed summary');
if (reasons.length > 0 && failed === 0) failed = 1; // a red run without a named failure
if (total === 0)
  reasons.push(filters[0] !== undefined ? `no test matched FILTER "${filters[0]}"` : 'ran no test');

for (const reason of reasons) process.stderr.write(`run-tests: ${reason}\n`);
process.stdout.write(
  `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`,
);
process.exitCode = reasons.length > 0 || failed > 0 || total === 0 ? 1 : 0;
