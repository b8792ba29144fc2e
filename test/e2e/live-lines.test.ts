// The live lines through main(), the real rsync moving mail from a local-path remote (no sshd): on a
// terminal, one that reports no width too (a pty nobody sized, as under script(1), says 0 columns),
// the line says what the mailbox does, not a lone "…"; off a terminal no escape code is written.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { realFs } from '../../src/maildir/fs.js';
import { main } from '../../src/main.js';
import { capturingIo } from '../helpers/capture-io.js';
import { makeMessages, Rng, World } from '../helpers/faults.js';

const tests = suite('live lines end to end');

async function run(isTTY: boolean, columns: number | undefined): Promise<string> {
  const world = await World.create({ name: `live-${isTTY}-${columns}`, seed: 1 });
  try {
    // Slow enough for a redraw or two during the fetch.
    world.configure({ rsyncArgs: ['--bwlimit=300'] });
    await world.addMail(world.box, makeMessages(new Rng(1), 'live', 4, 4, 150_000, 200_000));
    const io = { ...capturingIo(realFs), isTTY, columns };
    const code = await main(['--config', world.configFile], io);
    assert.is(code, 0, io.output());
    await world.verify('after the run');
    assert.equal(world.fig.problems, []);
    return io.output();
  } finally {
    await world.finish();
  }
}

tests(
  'on a terminal that says 0 columns: "inbox: fetching (N s)" lines, erased, then the summary',
  async () => {
    const out = await run(true, 0);
    assert.match(out, /\x1b\[J {2}inbox: fetching \(\d+ s\)\n|^ {2}inbox: fetching \(\d+ s\)\n/);
    assert.not.match(out, /^…$/m, 'not cut to nothing');
    // The last live line erased, then the summary (bold: a terminal gets colour).
    assert.match(out, /\x1b\[1F\x1b\[Jinbox: \x1b\[1m4 new\x1b\[22m\n$/);
  },
);

tests('off a terminal: no escape code, only the summary', async () => {
  const out = await run(false, undefined);
  assert.not.match(out, /\x1b/);
  assert.is(out, 'inbox: 4 new\n');
});

tests.run();
