// A crash at every step of the Maildir layer, and an error at every step, without root or strace: the
// run goes through main() in-process with a filesystem module whose Nth call of one operation crashes
// (throws, ending the sequence there as a SIGKILL would) or fails with ENOSPC. Between the broken run and
// a clean one the reader moves everything to cur/ and deletes two messages; after the clean run every message must be exactly
// once in the local Maildir, none the reader deleted back, nothing left on the server or in syncmail's
// work dirs or journal. The real rsync moves
// the mail (a local-path remote: no sshd needed). The strace scenario in faults.test.ts does the same
// with real SIGKILLs of the process.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { realFs } from '../../src/maildir/fs.js';
import { main } from '../../src/main.js';
import { capturingIo } from '../helpers/capture-io.js';
import { makeMessages, Rng, rsyncSuffix, World } from '../helpers/faults.js';
import { type FsOp, faultyFs, WRITING_OPS } from '../helpers/faulty-fs.js';
import { makeMaildir, uniqueOf } from '../helpers/maildir.js';
import { pairsOrFailingTest, type RsyncPair } from '../helpers/rsyncs.js';

const faults = suite('faults through the filesystem module');

// A local-path remote: rsync is both ends, so each version runs once, as the client.
const PAIRS = pairsOrFailingTest('cross', (title, fn) => faults(title, fn));

async function oneRun(rsync: RsyncPair, op: FsOp, nth: number, effect: 'crash' | 'ENOSPC') {
  const world = await World.create({ name: `fs-${op}-${nth}-${effect}`, seed: nth, rsync });
  const rng = new Rng(nth);
  world.configure({});
  const mail = makeMessages(rng, `fs${op}${nth}`, 5);
  await world.addMail(world.box, mail);
  // One message is already local and read: the run finds the same bytes ("exists").
  await makeMaildir(world.box.local);
  const [first] = mail;
  if (first !== undefined)
    await writeFile(path.join(world.box.local, 'cur', `${first.name}:2,S`), first.content);
  world.startMonitor(5);
  const broken = faultyFs(realFs, { op, nth, effect });
  const brokenIo = capturingIo(broken.fs);
  const code = await main(['--config', world.configFile, '--quiet'], brokenIo);
  world.checkOnce();
  if (broken.hit()) {
    // A crash reads as a bug (the run cannot know it was meant); a real error as what it is, except
    // where the room held back for the delivery could not be had, which the run goes on without.
    const expected = effect === 'crash' ? 70 : op === 'reserve' ? 0 : 74;
    assert.is(code, expected, `${op}#${nth} ${effect}: exit ${code}: ${brokenIo.output()}`);
  } else assert.is(code, 0, `${op}#${nth} never reached: ${brokenIo.output()}`);
  // The copy placed by hand was never syncmail's to remember: the reader keeps it.
  world.reader(world.box, rng, 100, 2, new Set(first === undefined ? [] : [uniqueOf(first.name)]));
  const clean = capturingIo(realFs);
  assert.is(await main(['--config', world.configFile, '--quiet'], clean), 0, clean.output());
  world.checkOnce();
  await world.verify(`after ${op}#${nth} ${effect}`);
  const figures = await world.finish();
  assert.equal(figures.problems, [], figures.problems.join('\n'));
  return broken.hit();
}

for (const [effect, rsync] of (['crash', 'ENOSPC'] as const).flatMap((e) =>
  PAIRS.map((p) => [e, p] as const),
)) {
  faults(
    `${effect} at every call of ${WRITING_OPS.join(', ')}: the next run converges, exactly once${rsyncSuffix(rsync, false)}`,
    async () => {
      let reached = 0;
      for (const op of WRITING_OPS) {
        for (let nth = 1; nth <= 40; nth += 1) {
          if (!(await oneRun(rsync, op, nth, effect))) break;
          reached += 1;
        }
      }
      console.log(`  ${effect}: ${reached} faults reached`);
      // Every operation is reached at least once per run (mkdir many times, syncfs once or twice).
      assert.ok(reached >= 30, `only ${reached} faults were reached`);
    },
  );
}

faults.run();
