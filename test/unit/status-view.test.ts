// `syncmail status`'s pure parts: a mailbox's state and words from its status, the table, the --json
// object, and the --format template language.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '../../src/errors.js';
import { type MailboxStatus, nextStatus, type Outcome } from '../../src/status/record.js';
import { formatTable } from '../../src/status/table.js';
import { parseTemplate, renderTemplate } from '../../src/status/template.js';
import { type StatusView, viewJson, viewOf } from '../../src/status/view.js';

const t0 = new Date(2026, 4, 1, 14, 5);
const later = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const run = (
  prev: MailboxStatus | undefined,
  code: number,
  when: Date,
  more: Partial<Outcome> = {},
) =>
  nextStatus(
    prev,
    {
      runId: 'r',
      code,
      reason: code === 0 ? null : 'unreachable',
      message: code === 0 ? null : 'down',
      delivered: 0,
      leftOnServer: 0,
      ...more,
    },
    when,
  );
const view = (status: MailboxStatus | undefined, now: Date): StatusView =>
  viewOf({ name: 'inbox', remote: 'me@mail.example.org:Maildir', status, now, schedule: 300 });

test('states: never, ok, stale after 3 × schedule, failing with its words', () => {
  assert.is(view(undefined, t0).state, 'never');
  assert.is(view(undefined, t0).stale, true);
  const ok = run(undefined, 0, t0, { delivered: 2 });
  assert.is(view(ok, later(15)).state, 'ok');
  assert.is(view(ok, later(15)).outcome, 'ok');
  assert.is(view(ok, later(16)).state, 'stale');
  const down = run(ok, 75, later(5));
  const v = view(down, later(6));
  assert.is(v.state, 'failing');
  assert.is(v.stale, false);
  assert.is(v.outcome, 'cannot reach mail.example.org');
  assert.is(v.delivered, 0);
  assert.is(v.today, 2);
  const left = run(ok, 65, later(5), { reason: null, message: null, leftOnServer: 1 });
  assert.is(view(left, later(6)).outcome, '1 item left on the server');
  assert.is(view(run(ok, 74, later(5), { reason: null }), later(6)).outcome, 'local trouble');
  assert.is(view(ok, new Date(2026, 4, 2, 9)).today, 0, 'today is the local day');
});

test('the table and the JSON object', () => {
  const ok = run(undefined, 0, t0, { delivered: 2 });
  const down = run(ok, 75, later(5));
  const table = formatTable([view(down, later(75))], later(75));
  const [head, row] = table.split('\n');
  assert.is(
    row,
    'inbox    failing  14:05 (1 h 15 min ago)  14:10 cannot reach mail.example.org (75)  0    2',
  );
  assert.is(head?.indexOf('LAST ATTEMPT'), row?.indexOf('14:10'), 'columns line up');
  assert.is(head?.indexOf('TODAY'), row?.lastIndexOf('2'));
  const json = viewJson(view(down, later(75)));
  assert.is(json['state'], 'failing');
  assert.is(json['secondsSinceSuccess'], 75 * 60);
  assert.is((json['lastAttempt'] as { code: number }).code, 75);
  assert.is(json['failingSince'], later(5).toISOString());
  assert.is(viewJson(view(undefined, t0))['lastAttempt'], null);
});

test('--format: fields, conditions, literal braces', () => {
  const ok = run(undefined, 0, t0, { delivered: 3 });
  const fresh = view(ok, later(2));
  const stale = view(ok, later(60));
  const render = (fmt: string, v: StatusView, now: Date) =>
    renderTemplate(parseTemplate(fmt), v, now);
  assert.is(render('{name}:{today}{stale?!}', fresh, later(2)), 'inbox:3');
  assert.is(render('{name}:{today}{stale?!}', stale, later(60)), 'inbox:3!');
  assert.is(
    render('{state} {ago} {last} {code} {new} {outcome}', stale, later(60)),
    'stale 1h 14:05 0 3 ok',
  );
  assert.is(render('{{{name}}} {ok?fine}{failing?down}', fresh, later(2)), '{inbox} fine');
  assert.is(
    render('{ago} {last} {code} {outcome}{failing? x}', view(undefined, t0), t0),
    '- never - - x',
  );
  assert.is(render('{new?+}{today?*}', view(run(ok, 0, later(3)), later(3)), later(3)), '*');
});

test('--format: a bad template is a usage error that lists the placeholders', () => {
  for (const bad of ['{nam}', '{name', 'x}', '{bogus?x}']) {
    try {
      parseTemplate(bad);
      assert.unreachable(bad);
    } catch (error) {
      assert.instance(error, UsageError, bad);
      assert.match((error as UsageError).hint ?? '', /\{today\}/);
    }
  }
});

test.run();
