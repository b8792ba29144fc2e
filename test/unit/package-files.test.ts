// Finding the files that ship with syncmail from the running module, wherever it is inside the
// package (dist/, dist/chunks/, src/), and the no-config hint that names the example to copy.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startHint } from '../../src/config/load.js';
import { ownPackageRoot, packageRoot, shippedFile } from '../../src/package-files.js';

test('packageRoot walks up to the package.json that names syncmail, past any other', () => {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'syncmail-package-root-')));
  try {
    const root = path.join(dir, 'lib', 'node_modules', 'syncmail');
    mkdirSync(path.join(root, 'dist', 'chunks'), { recursive: true });
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'syncmail' }));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'someone-else' }));
    mkdirSync(path.join(dir, 'other'));
    writeFileSync(path.join(dir, 'other', 'package.json'), '{ not json');
    assert.is(packageRoot(path.join(root, 'dist', 'chunks', 'main-X.js')), root);
    assert.is(packageRoot(path.join(root, 'dist', 'cli.js')), root);
    assert.is(packageRoot(path.join(dir, 'other', 'x.js')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('this checkout is the package; its example config is found by absolute path', () => {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  assert.is(ownPackageRoot(), repo);
  assert.is(shippedFile('.syncmailrc.example'), path.join(repo, '.syncmailrc.example'));
  assert.is(shippedFile('no-such-file'), undefined);
});

test('the no-config hint: a cp command line from the example, quoted for the shell', () => {
  const hint = startHint('/home/me/.config/syncmail', '/opt/my lib/syncmail/.syncmailrc.example');
  assert.is(
    hint,
    'create /home/me/.config/syncmail/config.yaml, or pass --config FILE; to start from the ' +
      'example that came with syncmail, which explains every setting:\n' +
      "    mkdir -p /home/me/.config/syncmail && cp '/opt/my lib/syncmail/.syncmailrc.example' " +
      '/home/me/.config/syncmail/config.yaml',
  );
  assert.match(startHint('/c', undefined), 'start from .syncmailrc.example');
});

test.run();
