// The man page made from the --help texts: roff escapes (a backslash, a minus, a line starting with
// a dot), the layout, and, when man is installed, that man renders it without a warning.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHECK_HELP } from '../../src/commands/check.js';
import { INSTALL_SYSTEMD_HELP } from '../../src/commands/install-systemd.js';
import { RULES_HELP } from '../../src/commands/rules.js';
import { SYNC_HELP } from '../../src/commands/sync-options.js';
import {
  escapeText,
  listedCommands,
  type ManInput,
  renderMan,
  tagLine,
  textLine,
} from '../../src/man/roff.js';

const OVERVIEW = `${SYNC_HELP}
Commands:
  sync             move new mail (the default command)
  rules            try the routing rules: syncmail rules test FILE|MAILDIR...
  check            check config, changing nothing
  install-systemd  write a systemd user timer
  help             show this help, or a command's: syncmail help COMMAND
`;

const INPUT: ManInput = {
  version: '9.8.7',
  description: 'move new mail from server Maildirs to local Maildirs',
  overview: OVERVIEW,
  helps: {
    sync: SYNC_HELP,
    rules: RULES_HELP,
    check: CHECK_HELP,
    'install-systemd': INSTALL_SYSTEMD_HELP,
  },
};

test('escapes: backslash, minus, quotes, beyond ASCII; a leading dot or quote is guarded', () => {
  assert.is(escapeText('a\\b'), 'a\\eb');
  assert.is(escapeText('--dry-run'), '\\-\\-dry\\-run');
  assert.is(escapeText(`it's \`x\` "y"`), 'it\\(aqs \\(gax\\(ga \\(dqy\\(dq');
  assert.is(escapeText('FILE → FOLDER…'), 'FILE \\[u2192] FOLDER\\[u2026]');
  assert.is(textLine('.syncmailrc.example is read'), '\\&.syncmailrc.example is read');
  assert.is(textLine("'quoted' first"), '\\(aqquoted\\(aq first', 'escaped, so no control quote');
  assert.is(textLine('   indented'), 'indented');
  assert.is(tagLine('-c, --config FILE'), '\\fB\\-c\\fR, \\fB\\-\\-config\\fR \\fIFILE\\fR');
  assert.is(tagLine('128+N'), '\\fB128+N\\fR');
});

test('the page: synopsis of each command, options, commands, exit status from the help', () => {
  const roff = renderMan(INPUT);
  const lines = roff.split('\n');
  assert.is(lines[1], '.TH SYNCMAIL 1 "" "syncmail 9.8.7" "User Commands"');
  assert.ok(lines.includes('syncmail \\- move new mail from server Maildirs to local Maildirs'));
  const sections = lines.filter((l) => l.startsWith('.SH '));
  assert.equal(sections, [
    '.SH NAME',
    '.SH SYNOPSIS',
    '.SH DESCRIPTION',
    '.SH OPTIONS',
    '.SH COMMANDS',
    '.SH EXIT STATUS',
    '.SH SEE ALSO',
  ]);
  assert.ok(lines.includes('rules test [options] FILE|MAILDIR...'));
  assert.ok(lines.includes('.SS syncmail install\\-systemd [options]'));
  const tp = lines.indexOf('\\fB\\-t\\fR, \\fB\\-\\-max\\-time\\fR \\fISECONDS\\fR');
  assert.is(lines[tp - 1], '.TP');
  assert.match(lines[tp + 1] ?? '', /^end the whole run within about SECONDS, connecting/);
  assert.ok(lines.includes('\\fB75\\fR'), 'an exit code as a tag');
  // No text line is read as a request: every line is a known request, or does not start with one.
  const requests = /^\.(\\"|TH|SH|SS|TP|PP|IP|RS|RE|nf|fi|nh|ad|B|BR|br)( |$)/;
  for (const line of lines) if (line.startsWith('.')) assert.match(line, requests);
  assert.not.ok(lines.some((l) => l.startsWith("'")));
  assert.equal(
    listedCommands(OVERVIEW).map((c) => c.tag),
    ['sync', 'rules', 'check', 'install-systemd'],
  );
});

test('man renders the page without a warning (when man is installed)', () => {
  const roff = renderMan(INPUT);
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-man-'));
  try {
    const file = path.join(dir, 'syncmail.1');
    writeFileSync(file, roff);
    const r = spawnSync('man', ['--warnings', '-l', file], {
      encoding: 'utf8',
      env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat', LC_ALL: 'C.UTF-8' },
    });
    if (r.error !== undefined) {
      assert.match(roff, /^\.TH SYNCMAIL 1 /m); // no man here: the text is all there is to check
      return;
    }
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr, '', 'no warning');
    assert.match(r.stdout, /^ {7}-c, --config FILE$/m);
    assert.match(r.stdout, /^ {7}syncmail \[sync\] \[options\] \[MAILBOX\.\.\.\]$/m);
    assert.match(r.stdout, 'FILE → FOLDER');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
