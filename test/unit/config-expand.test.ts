import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Env, type Expanded, expand, xdgDir } from '../../src/config/expand.js';

const env: Env = { HOME: '/env/home', MAIL: '/srv/mail', EMPTY: '', BOX: 'inbox' };
const home = '/home/me';

function value(result: Expanded): string {
  if (!result.ok) throw new Error(`expected success, got: ${result.problem}`);
  return result.value;
}

function problem(result: Expanded): string {
  if (result.ok) throw new Error(`expected a problem, got: ${result.value}`);
  return result.problem;
}

test('path: a leading ~ is the home directory passed in, not $HOME', () => {
  assert.is(value(expand('~', env, home, 'path')), '/home/me');
  assert.is(value(expand('~/Maildir', env, home, 'path')), '/home/me/Maildir');
  assert.is(value(expand('/x/~/y', env, home, 'path')), '/x/~/y');
});

test('path: ~user is refused with advice', () => {
  assert.match(
    problem(expand('~alice/Maildir', env, home, 'path')),
    '"~alice" is not supported; write the full path',
  );
  assert.match(problem(expand('~bob', env, home, 'path')), '"~bob" is not supported');
});

test('path: $VAR and ${VAR} anywhere, from the env passed in', () => {
  assert.is(value(expand('$MAIL/inbox', env, home, 'path')), '/srv/mail/inbox');
  assert.is(value(expand('${MAIL}/inbox', env, home, 'path')), '/srv/mail/inbox');
  assert.is(value(expand('/a/${BOX}x/$BOX', env, home, 'path')), '/a/inboxx/inbox');
  assert.is(value(expand('$HOME/x', env, home, 'path')), '/env/home/x');
  assert.is(value(expand('~/$BOX', env, home, 'path')), '/home/me/inbox');
  assert.is(value(expand('/a$EMPTY/b', env, home, 'path')), '/a/b');
});

test('an unset variable is a problem naming it', () => {
  assert.is(
    problem(expand('$NOPE/x', env, home, 'path')),
    '$NOPE is not set; set it in the environment or write the value out',
  );
  assert.match(problem(expand('/a/${NOPE}', env, home, 'path')), '$NOPE is not set');
  assert.match(problem(expand('host-path/$NOPE', env, home, 'remote')), '$NOPE is not set');
  assert.match(problem(expand('$NOPE/id', env, home, 'leading')), '$NOPE is not set');
});

test('a lone $ stays; broken ${…} is a problem', () => {
  assert.is(value(expand('/price$', env, home, 'path')), '/price$');
  assert.is(value(expand('/a$/b$1', env, home, 'path')), '/a$/b$1');
  assert.match(problem(expand('/a/${MAIL', env, home, 'path')), 'has no closing "}"');
  assert.match(
    problem(expand('/a/${1x}', env, home, 'path')),
    '"${1x}" is not a valid variable name',
  );
  assert.match(problem(expand('/a/${}', env, home, 'path')), '"${}" is not a valid variable name');
});

test('remote: variables expand but a leading ~ is left for the server', () => {
  assert.is(value(expand('~/Maildir', env, home, 'remote')), '~/Maildir');
  assert.is(value(expand('~/$BOX', env, home, 'remote')), '~/inbox');
  assert.is(value(expand('~alice/x', env, home, 'remote')), '~alice/x');
});

test('leading: only a leading ~ or variable expands (ssh arguments)', () => {
  assert.is(value(expand('~/.ssh/config', env, home, 'leading')), '/home/me/.ssh/config');
  assert.is(value(expand('$MAIL/key', env, home, 'leading')), '/srv/mail/key');
  assert.is(value(expand('${MAIL}/key', env, home, 'leading')), '/srv/mail/key');
  assert.is(
    value(expand('-oIdentityFile=~/.ssh/id', env, home, 'leading')),
    '-oIdentityFile=~/.ssh/id',
  );
  assert.is(
    value(expand('ProxyCommand=ssh -W %h:%p $JUMP', env, home, 'leading')),
    'ProxyCommand=ssh -W %h:%p $JUMP',
  );
  assert.is(value(expand('~alice', env, home, 'leading')), '~alice');
});

test('text without $ or a leading ~ is unchanged in every mode', () => {
  const plain = fc.string().filter((text) => !text.includes('$') && !text.startsWith('~'));
  fc.assert(
    fc.property(
      plain,
      fc.constantFrom<'path' | 'remote' | 'leading'>('path', 'remote', 'leading'),
      (text, mode) => {
        return value(expand(text, env, home, mode)) === text;
      },
    ),
  );
});

test('a variable expands to its exact value, whatever it contains', () => {
  fc.assert(
    fc.property(
      fc.string(),
      (content) => value(expand('${V}/x', { V: content }, home, 'path')) === `${content}/x`,
    ),
  );
});

test('xdgDir: an absolute setting wins; unset, empty or relative falls back', () => {
  assert.is(xdgDir({ XDG_STATE_HOME: '/state' }, 'XDG_STATE_HOME', '/fallback'), '/state');
  assert.is(xdgDir({}, 'XDG_STATE_HOME', '/fallback'), '/fallback');
  assert.is(xdgDir({ XDG_STATE_HOME: '' }, 'XDG_STATE_HOME', '/fallback'), '/fallback');
  assert.is(xdgDir({ XDG_STATE_HOME: 'rel/state' }, 'XDG_STATE_HOME', '/fallback'), '/fallback');
});

test.run();
