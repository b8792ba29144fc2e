// Small helpers of scripts/bench.mjs: statistics, formatting, a promise pool, process checks.
import fs from 'node:fs';

export const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};

export const minOf = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return v.length === 0 ? null : Math.min(...v);
};

export const maxOf = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return v.length === 0 ? null : Math.max(...v);
};

/** KB → MB with one decimal, null stays null. */
export const mb = (kb) => (kb == null ? null : Math.round((kb / 1024) * 10) / 10);

/** a / b with two decimals, null when either is missing. */
export const ratio = (a, b) =>
  a == null || b == null || b === 0 ? null : Math.round((a / b) * 100) / 100;

/** ms → seconds with two decimals (three below 0.1 s), '-' for null. */
export const secs = (ms) => (ms == null ? '-' : (ms / 1000).toFixed(ms < 100 ? 3 : 2));

export const note = (text) => process.stderr.write(`bench: ${text}\n`);

export function pad(text, width, right = false) {
  const s = String(text);
  return right ? s.padStart(width) : s.padEnd(width);
}

/** The first non-empty line of a text, trimmed and cut to `max` characters. */
export function firstLine(text, max = 160) {
  const line = (text ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  const t = line.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** Runs fn over items with at most `limit` in flight. */
export async function pool(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Blocks for `ms` (signal handlers cannot wait for a timer). */
export function pauseSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether a process exists and is not a zombie (an unreaped child counts as gone). */
export function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
