// Shell completion: the options read back from the --help texts, and the bash and zsh scripts made
// from them. The bash script is sourced in a real bash and its function called as bash would call
// it on Tab (COMP_WORDS, COMP_CWORD), the answers read from COMPREPLY.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SYNC_HELP } from '../../src/commands/sync-options.js';
import { bashCompletion } from '../../src/completion/bash.js';
import { helpOptions, usageShape } from '../../src/completion/help-options.js';
import { completionSpecs } from '../../src/completion/spec.js';
import { zshCompletion } from '../../src/completion/zsh.js';
import { runMain } from '../helpers/capture-io.js';

const syncmail = (argv: string[]) => runMain(argv, { env: {}, cwd: tmpdir(), homedir: tmpdir() });

test('helpOptions reads every option line of the sync help, with its argument', () => {
  const options = helpOptions(SYNC_HELP);
  const byName = new Map(options.map((o) => [o.names.at(-1), o]));
  assert.equal(byName.get('--config'), {
    names: ['-c', '--config'],
    arg: 'FILE',
    description: 'use exactly this config file (default: search, see README)',
  });
  assert.equal(byName.get('--print')?.names, ['--print'], 'a long option alone, indented more');
  const maxTime = byName.get('--max-time');
  assert.equal(maxTime?.names, ['-t', '--max-time'], 'a tag alone on its line');
  assert.is(maxTime?.arg, 'SECONDS');
  assert.match(maxTime?.description ?? '', /^end the whole run within about SECONDS, .* mutt$/);
  assert.equal(byName.get('--no-color')?.arg, undefined);
  assert.ok(byName.has('--version'));
  assert.not.ok(
    options.some((o) => o.names.some((n) => !n.startsWith('-'))),
    'exit codes are not options',
  );
});

test('helpOptions on made-up help: continuation lines, and a list that is not options', () => {
  const help = `Usage: syncmail x [options]

Options:
  -a, --alpha N   one
                  more
      --beta      two
  -h, --help      three

Exit codes:
  0   fine
      still fine
`;
  assert.equal(helpOptions(help), [
    { names: ['-a', '--alpha'], arg: 'N', description: 'one more' },
    { names: ['--beta'], arg: undefined, description: 'two' },
    { names: ['-h', '--help'], arg: undefined, description: 'three' },
  ]);
});

test('usageShape: a first literal word, choices, and path arguments', () => {
  assert.equal(usageShape('syncmail rules test [options] FILE|MAILDIR...', 'rules'), {
    subcommands: ['test'],
    pathArgs: true,
  });
  assert.equal(usageShape('syncmail completion bash|zsh', 'completion'), {
    subcommands: ['bash', 'zsh'],
    pathArgs: false,
  });
  assert.equal(usageShape('syncmail [sync] [options] [MAILBOX...]', 'sync'), {
    subcommands: [],
    pathArgs: false,
  });
});

test('`syncmail completion` prints the scripts; no shell or another is a usage error', async () => {
  const bash = await syncmail(['completion', 'bash']);
  assert.is(bash.code, 0);
  assert.match(bash.out, 'complete -F _syncmail syncmail');
  assert.match(bash.out, /install-systemd\)\n\s+opts='-c --config -n --dry-run --print -f --force/);
  const zsh = await syncmail(['completion', 'zsh']);
  assert.is(zsh.code, 0);
  assert.match(zsh.out, /^#compdef syncmail\n/);
  assert.is((await syncmail(['completion'])).code, 64);
  const fish = await syncmail(['completion', 'fish']);
  assert.is(fish.code, 64);
  assert.match(fish.err, 'there is one for bash and zsh');
});

test('the bash script: Tab completes commands, options, first words and file names', async () => {
  const script = (await syncmail(['completion', 'bash'])).out;
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-completion-'));
  try {
    writeFileSync(path.join(dir, 'syncmail.sh'), script);
    for (const f of ['conf.yaml', 'conf two.yaml', 'other.json'])
      writeFileSync(path.join(dir, f), '');
    const cases: [string[], string][] = [
      [['syncmail', ''], 'sync rules check'], // a prefix of the list; the rest below
      [['syncmail', 'ins'], 'install-systemd'],
      [['syncmail', '--con'], '--config'],
      [['syncmail', '-c', 'conf'], 'conf two.yaml|conf.yaml'],
      [['syncmail', '--config', '=', 'conf'], 'conf two.yaml|conf.yaml'],
      [['syncmail', 'rules', ''], 'test'],
      [['syncmail', 'rules', 'test', '--ma'], '--mailbox'],
      [['syncmail', 'rules', 'test', '--mailbox', ''], ''],
      [['syncmail', 'rules', 'test', 'oth'], 'other.json'],
      [['syncmail', 'install-systemd', '--f'], '--force'],
      [['syncmail', 'help', 'ch'], 'check'],
      [['syncmail', 'completion', ''], 'bash|zsh'],
      [['syncmail', '--max-time', ''], ''],
      [['syncmail', 'inbox', '--q'], '--quiet'],
    ];
    const calls = cases.map(([words]) => `t ${words.map((w) => `'${w}'`).join(' ')}`);
    const r = spawnSync(
      'bash',
      [
        '--norc',
        '-c',
        `source ./syncmail.sh || exit 9
t() { COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _syncmail
  printf '%s\\n' "\${COMPREPLY[@]}" | LC_ALL=C sort | paste -sd '|'; }
${calls.join('\n')}`,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr, '');
    const answers = r.stdout.split('\n');
    cases.forEach(([words, want], i) => {
      const got = answers[i] ?? '';
      if (i === 0) assert.ok(got.startsWith('check|completion|help|install-systemd'), got);
      else assert.is(got, want, words.join(' '));
    });
    const syntax = spawnSync('bash', ['-n', 'syncmail.sh'], { cwd: dir, encoding: 'utf8' });
    assert.is(syntax.status, 0, syntax.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the zsh script: a case per command, quoted explanations; zsh -n if installed', async () => {
  const specs = completionSpecs([{ name: 'sync', summary: "sync's [default]", help: SYNC_HELP }]);
  const script = zshCompletion(specs);
  assert.match(script, `'sync:sync'\\''s [default]'`);
  assert.match(script, `'(-c --config)'{-c+,--config=}'[use exactly this config file`);
  assert.match(script, `:FILE:_files'`);
  assert.match(script, `'(-t --max-time)'{-t+,--max-time=}'[end the whole run`);
  assert.match(script, `'--print[print the exact commands`);
  assert.match(script, `'1:command:(sync)'`, 'help takes a command name');
  const full = (await syncmail(['completion', 'zsh'])).out;
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-zsh-'));
  try {
    writeFileSync(path.join(dir, '_syncmail'), full);
    const r = spawnSync('zsh', ['-n', path.join(dir, '_syncmail')], { encoding: 'utf8' });
    if (r.error === undefined) assert.is(r.status, 0, r.stderr);
    else assert.match(full, /\ncompdef _syncmail syncmail\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bashCompletion lists the commands of the specs; a name not a plain word is refused', () => {
  const specs = completionSpecs([{ name: 'sync', summary: 's', help: SYNC_HELP }]);
  const script = bashCompletion(specs);
  assert.match(script, 'mapfile -t COMPREPLY < <(compgen -W \'sync help\' -- "$cur")');
  assert.throws(
    () => completionSpecs([{ name: 'sy nc', summary: 's', help: SYNC_HELP }]),
    /not a plain word/,
  );
});

test.run();
