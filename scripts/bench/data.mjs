// The messages of scripts/bench.mjs: a master copy per server mailbox (written once per workload, copied
// with `cp -a` before every run so each run starts from the same names, bytes and mtimes), and the check
// after a run that every message arrived intact and the server's new/ is empty.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomMessages } from '../../test/helpers/maildir.ts';
import { pool } from './util.mjs';

/**
 * Writes a master copy into dir/new: spec.count messages, of which spec.big.count (if any) are drawn from
 * spec.big's sizes and the rest from minSize–maxSize; mtime = the time in the name. Returns what to expect.
 */
export async function makeMaster(dir, spec, seed) {
  const newDir = path.join(dir, 'new');
  await fsp.mkdir(newDir, { recursive: true });
  const bigCount = Math.min(spec.big?.count ?? 0, spec.count);
  const parts = [
    { count: spec.count - bigCount, minSize: spec.minSize, maxSize: spec.maxSize, host: spec.host },
    ...(bigCount > 0
      ? [{ ...spec.big, count: bigCount, host: `big.${spec.host}`, seed: seed + 7919 }]
      : []),
  ];
  const expected = new Map();
  let bytes = 0;
  for (const part of parts) {
    if (part.count === 0) continue;
    let messages = randomMessages(part.count, {
      minSize: part.minSize,
      maxSize: part.maxSize,
      seed: part.seed ?? seed,
      host: part.host,
    });
    await pool(messages, 32, async (m) => {
      const file = path.join(newDir, m.name);
      const seconds = Number(m.name.slice(0, m.name.indexOf('.')));
      await fsp.writeFile(file, m.content, { flag: 'wx' });
      await fsp.utimes(file, seconds, seconds);
      expected.set(m.name, { sha1: m.sha1, size: m.content.length, mtime: seconds });
      bytes += m.content.length;
    });
    messages = undefined;
  }
  return { newDir, expected, bytes };
}

async function sha1File(file) {
  return createHash('sha1')
    .update(await fsp.readFile(file))
    .digest('hex');
}

/** All messages in local new/, byte-identical (sha1 of every one) with the server's mtime; server new/ empty. */
export async function verify(local, server, expected) {
  const names = fs.existsSync(path.join(local, 'new'))
    ? await fsp.readdir(path.join(local, 'new'))
    : [];
  const extra = [];
  let identical = 0;
  let wrongContent = 0;
  let wrongMtime = 0;
  await pool(names, 16, async (name) => {
    const want = expected.get(name);
    if (want === undefined) {
      extra.push(name);
      return;
    }
    const file = path.join(local, 'new', name);
    const st = await fsp.lstat(file);
    if (!st.isFile() || st.size !== want.size || (await sha1File(file)) !== want.sha1) {
      wrongContent += 1;
      return;
    }
    if (Math.floor(st.mtimeMs / 1000) !== want.mtime) wrongMtime += 1;
    identical += 1;
  });
  const leftOnServer = (await fsp.readdir(path.join(server, 'new'))).length;
  const missing = expected.size - identical - wrongContent;
  const ok =
    identical === expected.size &&
    extra.length === 0 &&
    wrongContent === 0 &&
    wrongMtime === 0 &&
    leftOnServer === 0;
  return {
    ok,
    identical,
    missing,
    wrongContent,
    wrongMtime,
    extra: extra.length,
    extraSample: extra.slice(0, 5),
    leftOnServer,
  };
}

/** The verify() results of several mailboxes as one (sums; ok when all are). */
export function mergeVerify(checks) {
  const sum = (k) => checks.reduce((n, c) => n + c[k], 0);
  return {
    ok: checks.every((c) => c.ok),
    identical: sum('identical'),
    missing: sum('missing'),
    wrongContent: sum('wrongContent'),
    wrongMtime: sum('wrongMtime'),
    extra: sum('extra'),
    extraSample: checks.flatMap((c) => c.extraSample).slice(0, 5),
    leftOnServer: sum('leftOnServer'),
  };
}
