// What each contender of scripts/bench.mjs runs: the essay's bare rsync command, syncmail with its config,
// and the start-up references. A contender gives the commands of one run (`steps`, measured one after
// the other and summed) for the mailboxes of that run.
import fs from 'node:fs';
import path from 'node:path';

/** Variant R's rules: every kind of condition, none matching the generated messages. */
export const RULES = [
  'rules:',
  '  - { name: lkml, match: { list: linux-kernel.vger.kernel.org }, folder: lists.lkml }',
  '  - name: nagios',
  '    match: { from: "@monitoring.example.com", subject: { regex: "^(PROBLEM|RECOVERY)" } }',
  '    trash: true',
  '  - name: invoices',
  '    match: { any: [{ to: billing@me.example }, { header: { name: X-Invoice, exists: true } }] }',
  '    folder: finance',
  '    copy: archive',
  '  - { name: spam, match: { header: { name: X-Spam-Flag, is: "YES" } }, trash: true }',
  '  - { name: huge, match: { size: { over: 50M } }, folder: big }',
];

export function essayArgv(sshd, server, local, fsync) {
  return [
    'rsync',
    '--ignore-existing',
    '--info=BACKUP1,COPY1,DEL1,MOUNT1,NONREG1,SKIP1,SYMSAFE1',
    '--links',
    '--safe-links',
    '--one-file-system',
    '--partial-dir=tmp',
    '--recursive',
    '--remove-source-files',
    '--times',
    ...(fsync ? ['--fsync'] : []),
    '-e',
    `ssh -F ${sshd.sshConfig} -o BatchMode=yes`,
    `${sshd.hostAlias}:${server}/new/`,
    `${local}/new`,
  ];
}

/** syncmail's config for the run's mailboxes; `top` are extra top-level lines (rules, jobs, …). */
export function writeSyncmailConfig(dir, sshd, boxes, top = []) {
  const file = path.join(dir, 'syncmail.yaml');
  const text = [
    ...top,
    `ssh: ["-F", ${JSON.stringify(sshd.sshConfig)}]`,
    `log: ${JSON.stringify(path.join(dir, 'transfer.log'))}`,
    `state: ${JSON.stringify(path.join(dir, 'state'))}`,
    'mailboxes:',
    ...boxes.flatMap((b) => [
      `  - name: ${b.name}`,
      `    remote: ${JSON.stringify(`${sshd.hostAlias}:${b.server}`)}`,
      `    local: ${JSON.stringify(b.local)}`,
    ]),
    '',
  ].join('\n');
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/** The essay's command once per mailbox, one after the other (their times are summed). */
function essay(key, name, fsync) {
  return {
    key,
    name,
    mail: true,
    steps: ({ sshd, boxes }) =>
      boxes.map((b) => ({ argv: essayArgv(sshd, b.server, b.local, fsync), cwd: b.local })),
  };
}

/** syncmail once over all the run's mailboxes. */
function syncmail(key, name, top = []) {
  return {
    key,
    name,
    mail: true,
    syncmail: true,
    steps: ({ sshd, boxes, dir, cli, root }) => [
      {
        argv: [
          process.execPath,
          cli,
          '--config',
          writeSyncmailConfig(dir, sshd, boxes, top),
          '--quiet',
        ],
        cwd: root,
        log: path.join(dir, 'transfer.log'),
        // A private XDG_RUNTIME_DIR: where a shared connection's socket lives, so that every run
        // finds it in the same place and nothing is left in the caller's.
        runtime: path.join(dir, 'runtime'),
        syncmail: true,
      },
    ],
  };
}

/** A command that moves no mail, measured like the others. */
function command(key, name, argv) {
  return {
    key,
    name,
    mail: false,
    steps: ({ cli, root }) => [{ argv: argv(cli), cwd: root }],
  };
}

/** Every contender by key; `times` is how many mailboxes the essay's command runs over (W3: 8). */
export function contender(key, times = 1) {
  const each = times > 1 ? ` ×${times} (sum)` : '';
  switch (key) {
    case 'A':
      return essay('A', `essay rsync${each}`, false);
    case 'C':
      return essay('C', `essay rsync --fsync${each}`, true);
    case 'B':
      return syncmail('B', 'syncmail');
    case 'R':
      return syncmail('R', 'syncmail + 5 rules', RULES);
    case 'B seq':
      return syncmail('B seq', 'syncmail jobs 1, own connections', [
        'jobs: 1',
        'shareConnection: false',
      ]);
    case 'B par':
      return syncmail('B par', 'syncmail jobs 8, shared connection', [
        'jobs: 8',
        'shareConnection: true',
      ]);
    case 'N':
      return command('N', 'node -e 0 (start-up floor)', () => [process.execPath, '-e', '0']);
    case 'V':
      return command('V', 'syncmail --version', (cli) => [process.execPath, cli, '--version']);
    default:
      throw new Error(`unknown contender ${key}`);
  }
}
