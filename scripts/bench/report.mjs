// The summaries and the printed table of scripts/bench.mjs: per workload, every contender's median wall
// time over its successful runs, min–max, the ratio to A, memory, failures with their first stderr line,
// and syncmail's time by step; then W4's time per message when --linear ran several counts.
import { SAMPLE_MS } from './sampler.mjs';
import { maxOf, mb, median, minOf, pad, ratio, secs } from './util.mjs';

/** The median of every numeric leaf of a list of like-shaped objects. */
function medianTree(objs) {
  const first = objs.find((o) => o != null);
  if (first === undefined) return undefined;
  const out = {};
  for (const [k, v] of Object.entries(first)) {
    if (v != null && typeof v === 'object') out[k] = medianTree(objs.map((o) => o?.[k]));
    else if (typeof v === 'number' || v === null) out[k] = median(objs.map((o) => o?.[k]));
  }
  return out;
}

export function summarize(runs, contenders) {
  const summary = {};
  for (const c of contenders) {
    const all = runs.filter((r) => r.variant === c.key);
    const rs = all.filter((r) => r.ok);
    const walls = rs.map((r) => r.wallMs);
    summary[c.key] = {
      name: c.name,
      runs: all.length,
      okRuns: rs.length,
      ok: all.length > 0 && rs.length === all.length,
      failures: all.filter((r) => !r.ok).map((r) => ({ round: r.round, failure: r.failure })),
      wallMsMedian: median(walls),
      wallMsMin: minOf(walls),
      wallMsMax: maxOf(walls),
      maxProcRssKbMedian: median(rs.map((r) => r.maxProcRssKb)),
      treePeakRssKbMedian: median(rs.map((r) => r.treePeakRssKb)),
      nodeHwmKbMedian: median(rs.map((r) => r.peakHwmKb.node)),
      rsyncHwmKbMedian: median(rs.map((r) => r.peakHwmKb.rsync)),
      sshHwmKbMedian: median(rs.map((r) => r.peakHwmKb.ssh)),
      byRoleKbMedian: Object.fromEntries(
        [...new Set(rs.flatMap((r) => Object.keys(r.peakHwmKbByRole)))]
          .sort()
          .map((k) => [k, median(rs.map((r) => r.peakHwmKbByRole[k]))]),
      ),
    };
  }
  const ratios = {};
  const pairs = [
    ...contenders.filter((c) => c.mail && c.key !== 'A').map((c) => [c.key, 'A']),
    ['R', 'B'],
    ['B par', 'B seq'],
  ];
  for (const [v, base] of pairs) {
    if (!summary[v] || !summary[base]) continue;
    ratios[`${v}/${base}`] = {
      time: ratio(summary[v].wallMsMedian, summary[base].wallMsMedian),
      maxProcRss: ratio(summary[v].maxProcRssKbMedian, summary[base].maxProcRssKbMedian),
      treePeakRss: ratio(summary[v].treePeakRssKbMedian, summary[base].treePeakRssKbMedian),
    };
  }
  const breakdownMedian = {};
  const stepsMedian = {};
  for (const c of contenders.filter((x) => x.syncmail)) {
    const rs = runs.filter((r) => r.variant === c.key && r.ok && r.breakdown);
    if (rs.length === 0) continue;
    breakdownMedian[c.key] = medianTree(rs.map((r) => r.breakdown));
    stepsMedian[c.key] = medianTree(rs.map((r) => r.steps));
  }
  // What routing costs: R's delivery phase over B's, per message and against the fetch pass.
  let routing;
  const dR = breakdownMedian.R?.phases.deliver;
  const dB = breakdownMedian.B?.phases.deliver;
  const fetch = breakdownMedian.B?.phases.fetch;
  const moved = runs.find((r) => r.ok && r.verify)?.verify.identical;
  if (dR != null && dB != null && fetch && moved) {
    const extra = dR - dB;
    routing = {
      extraDeliverMs: extra,
      perMessageUs: Math.round((extra * 1000) / moved),
      ofFetch: ratio(extra, fetch),
    };
  }
  return { summary, ratios, breakdownMedian, stepsMedian, routing };
}

const ms = (x) => (x == null ? 'n.a.' : x === 0 ? `<${SAMPLE_MS} ms` : `${x} ms`);
const times = (x) => (x == null ? '-' : `×${x.toFixed(2)}`);

function contenderTable(w) {
  const head = [
    'contender',
    'median s',
    'min–max s',
    '×A',
    'max-proc MB',
    'tree MB',
    'node MB',
    'rsync MB',
    'ssh MB',
    'runs',
  ];
  const widths = [44, 9, 15, 6, 11, 8, 8, 8, 7, 0];
  const row = (cells) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? String(c) : pad(c, widths[i], i > 0)))
      .join('  ')
      .trimEnd();
  const lines = [row(head)];
  const a = w.summary.A;
  for (const [key, s] of Object.entries(w.summary)) {
    const status = s.ok
      ? `ok ${s.okRuns}/${s.runs}`
      : `FAILED ${s.runs - s.okRuns}/${s.runs} (round ${s.failures.map((f) => f.round).join(', ')}): ${s.failures[0]?.failure ?? 'no run'}`;
    lines.push(
      row([
        `${key} ${s.name}`,
        secs(s.wallMsMedian),
        s.wallMsMin == null ? '-' : `${secs(s.wallMsMin)}–${secs(s.wallMsMax)}`,
        key === 'A'
          ? a.wallMsMedian == null
            ? '-'
            : '1'
          : times(ratio(s.wallMsMedian, a?.wallMsMedian)),
        mb(s.maxProcRssKbMedian) ?? '-',
        mb(s.treePeakRssKbMedian) ?? '-',
        mb(s.nodeHwmKbMedian) ?? '-',
        mb(s.rsyncHwmKbMedian) ?? '-',
        mb(s.sshHwmKbMedian) ?? '-',
        status,
      ]),
    );
  }
  return lines;
}

function phaseLines(label, b) {
  const p = b.phases;
  const f = b.fromLog;
  return [
    `${label} by step (median, ±${SAMPLE_MS} ms): startup ${ms(p.startup)} | fetch pass ${ms(p.fetch)} | deliver ${ms(p.deliver)} | sync -f ${ms(p['sync -f'])} | remove prep ${ms(p['remove prep'])} (these three: ${ms(p['deliver..remove start'])}) | remove pass ${ms(p.remove)} | finish ${ms(p.finish)}`,
    `  from the transfer log: run-start at ${ms(b.log.runStart)}, stats → first delivered (decide, journal) ${ms(f['stats → first delivered (log)'])}, first → last delivered (rename, placeholder, journal and log record per message) ${ms(f['first → last delivered (log)'])}, last delivered → first removed ${ms(f['first removed after last delivered (log)'])}, removed records span ${ms(f['removed records span (log)'])}`,
  ];
}

function stepLines(label, s) {
  const by = Object.entries(s.byStep)
    .map(([k, v]) => `${k} ×${v.processes} ${ms(v.busy)}`)
    .join(', ');
  return [
    `${label} by step (median, ±${SAMPLE_MS} ms per process): spawn → run-start ${ms(s.toRunStart)}, → first fetch ${ms(s.toFirstFetch)} | busy per step (summed over processes): ${by} | mailbox-start → mailbox-end: ${s.mailboxes} mailboxes, sum ${ms(s.mailboxSum)}, longest ${ms(s.mailboxLongest)} | after the last process ${ms(s.afterLastProcess)} | wall ${ms(s.wall)}`,
  ];
}

function workloadLines(w) {
  const lines = [''];
  lines.push(
    `${w.key}${w.netem ? ` + netem ${w.netem} ms RTT` : ''}: ${w.title}, ${w.rounds} round(s), orders: ${w.orders.map((o) => o.join(',')).join(' | ')}`,
  );
  lines.push(...contenderTable(w));
  const a = w.summary.A?.wallMsMedian;
  if (w.key === 'W2') {
    const part = (k, label) =>
      w.summary[k]?.wallMsMedian == null ? [] : [`${label} ${secs(w.summary[k].wallMsMedian)} s`];
    const over =
      a != null && w.summary.B?.wallMsMedian != null
        ? [`syncmail − essay rsync ${Math.round(w.summary.B.wallMsMedian - a)} ms`]
        : [];
    lines.push(
      `empty sync: ${[...part('A', 'essay rsync'), ...part('B', 'syncmail'), ...over, ...part('N', 'node -e 0'), ...part('V', 'syncmail --version')].join(', ')}`,
    );
  }
  for (const key of ['B', 'B seq', 'B par']) {
    const s = w.summary[key];
    if (!s || s.okRuns === 0) continue;
    const roles = Object.entries(s.byRoleKbMedian).filter(([k]) =>
      /^(node|fetch|remove|ssh-master)\//.test(k),
    );
    if (roles.length)
      lines.push(
        `${key} peak per process (VmHWM, median): ${roles.map(([k, v]) => `${k} ${mb(v)} MB`).join(', ')}`,
      );
  }
  for (const [name, r] of Object.entries(w.ratios)) {
    if (r.time == null) continue;
    lines.push(
      `${name}: time ${times(r.time)}, max-proc RSS ${times(r.maxProcRss)}, tree RSS ${times(r.treePeakRss)}`,
    );
  }
  for (const [key, b] of Object.entries(w.breakdownMedian)) {
    const label = `${key} ${w.summary[key].name}`;
    if (w.mailboxes === 1) lines.push(...phaseLines(label, b));
    else lines.push(...stepLines(label, w.stepsMedian[key]));
  }
  if (w.routing) {
    lines.push(
      `routing (R's deliver phase − B's): ${w.routing.extraDeliverMs} ms, ${w.routing.perMessageUs} µs per message, ×${w.routing.ofFetch} of B's fetch pass`,
    );
  }
  for (const [key, s] of Object.entries(w.summary)) {
    // The table names the first failure; list the others unless they say the same.
    for (const f of s.failures.slice(s.ok ? 0 : 1))
      if (s.ok || f.failure !== s.failures[0].failure)
        lines.push(`failed: round ${f.round} ${key}: ${f.failure}`);
  }
  for (const r of w.runs.filter((x) => x.leftRunning.length > 0))
    lines.push(
      `left running after the command exited (killed after 1 s): round ${r.round} ${r.variant}: ${r.leftRunning.join(', ')}`,
    );
  return lines;
}

/** W4 over several counts: time per message, and between successive counts (linear if they agree). */
export function linearity(workloads) {
  const ws = workloads.filter((w) => w.key === 'W4');
  if (ws.length < 2) return undefined;
  const rows = ws.map((w) => {
    const row = { count: w.messages };
    for (const k of Object.keys(w.summary)) {
      const s = w.summary[k];
      row[k] = {
        wallMs: s.wallMsMedian,
        usPerMessage:
          s.wallMsMedian == null ? null : Math.round((s.wallMsMedian * 1000) / w.messages),
        maxProcRssKb: s.maxProcRssKbMedian,
        treePeakRssKb: s.treePeakRssKbMedian,
      };
    }
    return row;
  });
  for (let i = 1; i < rows.length; i++) {
    for (const [k, v] of Object.entries(rows[i])) {
      if (k === 'count') continue;
      const prev = rows[i - 1][k];
      if (prev?.wallMs != null && v.wallMs != null)
        v.marginalUsPerMessage = Math.round(
          ((v.wallMs - prev.wallMs) * 1000) / (rows[i].count - rows[i - 1].count),
        );
    }
  }
  return rows;
}

function linearLines(rows) {
  const keys = Object.keys(rows[0]).filter((k) => k !== 'count');
  const head = [
    'messages',
    ...keys.flatMap((k) => [`${k} s`, `${k} µs/msg`, `${k} Δµs/msg`, `${k} MB`]),
  ];
  const widths = [9, ...keys.flatMap(() => [8, 10, 10, 8])];
  const line = (cells) => cells.map((c, i) => pad(c, widths[i], true)).join('  ');
  const lines = [
    '',
    'W4 linearity: time per message at each count; Δ = (t − t of the previous count) / (count − previous count), the cost of one more message; MB = max-proc',
    line(head),
  ];
  for (const r of rows) {
    lines.push(
      line([
        r.count,
        ...keys.flatMap((k) => [
          secs(r[k]?.wallMs),
          r[k]?.usPerMessage ?? '-',
          r[k]?.marginalUsPerMessage ?? '-',
          mb(r[k]?.maxProcRssKb) ?? '-',
        ]),
      ]),
    );
  }
  return lines;
}

function overviewLines(workloads) {
  const lines = ['', 'overview (median wall time; ×A):'];
  for (const w of workloads) {
    const a = w.summary.A?.wallMsMedian;
    const parts = Object.entries(w.summary).map(([k, s]) =>
      s.wallMsMedian == null
        ? `${k} FAILED`
        : `${k} ${secs(s.wallMsMedian)} s${k === 'A' ? '' : ` ${times(ratio(s.wallMsMedian, a))}`}`,
    );
    lines.push(
      `  ${pad(`${w.key}${w.netem ? `+netem ${w.netem}` : ''} ${w.short}`, 28)} ${parts.join(' | ')}`,
    );
  }
  return lines;
}

export function renderTable(result) {
  const e = result.environment;
  const lines = [
    `${e.syncmail}, rsync ${e.rsync}, node ${e.node}, ${e.cpus} CPUs, ${e.memGb} GB RAM; ssh round trip (ssh mail-server true) median ${e.sshRoundTripMs} ms`,
    `times: wall clock from spawn to exit, median of the successful runs; a contender of several commands (A ×8) is their sum. memory: max-proc = /usr/bin/time %M (largest single process, exact); tree = peak sum of VmRSS over the client process tree, /proc every ${SAMPLE_MS} ms; node/rsync/ssh = largest VmHWM of one such process`,
  ];
  if (result.netem) lines.push(`netem: ${result.netem.note}`);
  for (const w of result.workloads) lines.push(...workloadLines(w));
  if (result.linear) lines.push(...linearLines(result.linear));
  if (result.workloads.length > 1) lines.push(...overviewLines(result.workloads));
  return lines.join('\n');
}
