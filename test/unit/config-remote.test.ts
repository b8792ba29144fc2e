import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRemotePath, type SplitRemote, splitRemote } from '../../src/config/remote.js';

function split(text: string): SplitRemote {
  const result = splitRemote(text);
  if (!result.ok) throw new Error(`${text}: ${result.problem}`);
  return result.remote;
}

function refused(text: string): string {
  const result = splitRemote(text);
  if (result.ok) throw new Error(`${text}: accepted as ${JSON.stringify(result.remote)}`);
  return result.problem;
}

test("rsync's rule: a colon before the first slash means a server", () => {
  assert.equal(split('mail-server:Maildir'), {
    kind: 'ssh',
    user: undefined,
    host: 'mail-server',
    path: 'Maildir',
  });
  assert.equal(split('me@mail.example.org:mail/inbox'), {
    kind: 'ssh',
    user: 'me',
    host: 'mail.example.org',
    path: 'mail/inbox',
  });
  assert.equal(split('h:/var/mail/me'), {
    kind: 'ssh',
    user: undefined,
    host: 'h',
    path: '/var/mail/me',
  });
  assert.equal(split('h:mail/My Inbox'), {
    kind: 'ssh',
    user: undefined,
    host: 'h',
    path: 'mail/My Inbox',
  });
  assert.equal(split('10.0.0.1:x:y'), {
    kind: 'ssh',
    user: undefined,
    host: '10.0.0.1',
    path: 'x:y',
  });
  assert.equal(split('first.last@h:p'), { kind: 'ssh', user: 'first.last', host: 'h', path: 'p' });
});

test('a path with no colon before its first slash is local', () => {
  assert.equal(split('/srv/mail/inbox'), { kind: 'local', path: '/srv/mail/inbox' });
  assert.equal(split('/srv/mail:archive'), { kind: 'local', path: '/srv/mail:archive' });
  assert.equal(split('./a:b'), { kind: 'local', path: './a:b' });
  assert.equal(split('~/Maildir'), { kind: 'local', path: '~/Maildir' });
  assert.equal(split('$SPOOL/x'), { kind: 'local', path: '$SPOOL/x' });
});

test('IPv6 addresses in brackets keep their brackets (rsync needs them)', () => {
  assert.equal(split('[::1]:Maildir'), {
    kind: 'ssh',
    user: undefined,
    host: '[::1]',
    path: 'Maildir',
  });
  assert.equal(split('me@[2001:db8::1]:M'), {
    kind: 'ssh',
    user: 'me',
    host: '[2001:db8::1]',
    path: 'M',
  });
  assert.match(refused('[not an address]:M'), 'is not an IPv6 address');
});

test('rsync daemon syntax is refused', () => {
  assert.match(refused('host::module'), '"host::path" is rsync daemon syntax');
  assert.match(refused('me@host::module/x'), 'rsync daemon syntax');
  assert.match(
    refused('rsync://host/module'),
    'rsync daemon addresses (rsync://…) are not supported',
  );
  assert.match(refused('RSYNC://host/module'), 'rsync daemon addresses');
});

test('empty host or user is refused', () => {
  assert.match(refused(':Maildir'), 'the host before ":" is empty');
  assert.match(refused('me@:Maildir'), 'the host before ":" is empty');
  assert.match(refused('@h:Maildir'), 'the user before "@" is empty');
});

test('a user or host beginning with "-" is refused (option injection)', () => {
  assert.match(
    refused('-oProxyCommand=sh:x'),
    'host "-oProxyCommand=sh" begins with "-", which ssh would read as an option',
  );
  assert.match(refused('me@-p:x'), 'host "-p" begins with "-"');
  assert.match(
    refused('-lroot@h:x'),
    'user "-lroot" begins with "-", which ssh would read as an option',
  );
});

test('hosts with spaces or shell characters are refused', () => {
  for (const host of [
    'a b',
    'a;b',
    'a|b',
    'a$b',
    'a`b',
    "a'b",
    'a"b',
    'a&b',
    'a(b)',
    'a*b',
    'a\\b',
    'a\tb',
  ]) {
    assert.match(refused(`${host}:Maildir`), 'may contain only letters, digits', host);
  }
  assert.match(refused('$HOST:M'), 'variables are expanded only in the path after ":"');
});

test('checkRemotePath: empty, line breaks, leading "-", relative local paths', () => {
  assert.match(checkRemotePath('', 'ssh')!, 'the path after ":" is empty');
  assert.is(checkRemotePath('', 'local'), 'must not be empty');
  assert.match(checkRemotePath('a\nb', 'ssh')!, 'must not contain a line break or NUL');
  assert.match(checkRemotePath('a\0b', 'ssh')!, 'must not contain a line break or NUL');
  assert.match(
    checkRemotePath('--delete', 'ssh')!,
    'path "--delete" begins with "-", which rsync would read as an option',
  );
  assert.match(checkRemotePath('srv/mail', 'local')!, '"srv/mail" is a relative path');
  assert.match(checkRemotePath('-x', 'local')!, 'is a relative path');
});

test('checkRemotePath accepts spaces, relative server paths and ~', () => {
  assert.is(checkRemotePath('mail/My Inbox', 'ssh'), undefined);
  assert.is(checkRemotePath('~/Maildir', 'ssh'), undefined);
  assert.is(checkRemotePath('/srv/My Mail', 'local'), undefined);
});

test('checkRemotePath refuses ~user on the server (no shell expands it there), not ~ or ~/', () => {
  assert.is(
    checkRemotePath('~bob/Maildir', 'ssh'),
    '"~bob/Maildir": ~user is not expanded on the server; write the full path',
  );
  assert.is(
    checkRemotePath('~bob', 'ssh'),
    '"~bob": ~user is not expanded on the server; write the full path',
  );
  assert.is(checkRemotePath('~', 'ssh'), undefined);
  assert.is(checkRemotePath('~/', 'ssh'), undefined);
  assert.is(checkRemotePath('~/Maildir', 'ssh'), undefined);
  assert.is(checkRemotePath('mail/~bob', 'ssh'), undefined);
  assert.is(checkRemotePath('/home/bob/~x', 'local'), undefined);
});

test('no accepted remote has a user, host or path that begins with "-"', () => {
  const parts = fc.constantFrom(
    '-',
    '-o',
    'a',
    '@',
    ':',
    '::',
    '/',
    '[',
    ']',
    'h',
    ' ',
    '.',
    '~',
    'x-y',
  );
  fc.assert(
    fc.property(
      fc.array(parts, { maxLength: 8 }).map((items) => items.join('')),
      (text) => {
        const result = splitRemote(text);
        if (!result.ok) return true;
        const remote = result.remote;
        if (remote.kind === 'local')
          return (
            !text.includes(':') || (text.includes('/') && text.indexOf('/') < text.indexOf(':'))
          );
        const pathOk =
          checkRemotePath(remote.path, 'ssh') !== undefined || !remote.path.startsWith('-');
        return (
          !remote.host.startsWith('-') &&
          !(remote.user ?? '').startsWith('-') &&
          remote.host !== '' &&
          pathOk
        );
      },
    ),
  );
});

test.run();
