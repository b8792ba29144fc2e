#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
// A real sync on a built-in example, no server needed: the sample "server" Maildir in
// test/fixtures/demo-server is copied to a scratch place first (so the fixture is never consumed), then
// syncmail moves it through a local-path remote into a scratch local Maildir.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const scratch = mkdtempSync(path.join(tmpdir(), 'syncmail-demo-'));
const server = path.join(scratch, 'server', 'inbox');
const local = path.join(scratch, 'local', 'inbox');
cpSync(path.join(root, 'test', 'fixtures', 'demo-server'), server, {
  recursive: true,
  preserveTimestamps: true,
});
for (const dir of ['cur', 'tmp']) mkdirSync(path.join(server, dir), { recursive: true });
const config = path.join(scratch, 'syncmail.yaml');
writeFileSync(
  config,
  `# written by scripts/demo.mjs
log: ${path.join(scratch, 'transfer.log')}
mailboxes:
  - name: inbox
    remote: ${server}
    local: ${local}
`,
  { mode: 0o600 },
);

console.log(
  `demo: server Maildir ${server} holds ${readdirSync(path.join(server, 'new')).length} new messages`,
);
console.log(`demo: running syncmail --config ${config} --verbose`);
const run = spawnSync(
  process.execPath,
  [path.join(root, 'dist', 'cli.js'), '--config', config, '--verbose'],
  { stdio: 'inherit' },
);
console.log(`demo: syncmail exited with ${run.status}`);
console.log(`demo: local new/ now holds: ${readdirSync(path.join(local, 'new')).join(', ')}`);
console.log(`demo: server new/ now holds ${readdirSync(path.join(server, 'new')).length} messages`);
console.log(`demo: the transfer log is ${path.join(scratch, 'transfer.log')}`);
process.exitCode = run.status ?? 1;
