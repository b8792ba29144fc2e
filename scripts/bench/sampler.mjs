// The process-tree sampler of scripts/bench.mjs: every SAMPLE_MS it finds, through /proc, the processes
// under one root pid (the /usr/bin/time of a measured run) and reads their VmRSS and VmHWM; it remembers
// when each was first and last seen alive, which gives syncmail's timeline (fetch rsync, sync -f, remove
// rsync), and it can SIGKILL what is still alive (Ctrl-C of the benchmark).
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

export const SAMPLE_MS = 20;

function readStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

function readStatus(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const field = (name) => {
    const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text);
    return m ? m[1] : undefined;
  };
  const kb = (name) => {
    const v = field(name);
    return v === undefined ? 0 : Number.parseInt(v, 10);
  };
  return {
    name: field('Name') ?? '?',
    state: (field('State') ?? '?')[0],
    rss: kb('VmRSS'),
    hwm: kb('VmHWM'),
  };
}

function readCmdline(pid) {
  try {
    return fs
      .readFileSync(`/proc/${pid}/cmdline`, 'latin1')
      .split('\0')
      .filter((s) => s !== '');
  } catch {
    return [];
  }
}

/** What a process is, for the timeline: a pass of syncmail's rsync, its ssh, sync -f, … */
function labelOf(proc, tree) {
  if (proc.comm === 'rsync') {
    if (proc.argv.includes('--remove-source-files')) return 'remove';
    if (proc.argv.includes('--version')) return 'rsync-version';
    if (proc.argv.some((a) => a.startsWith('--compare-dest='))) return 'fetch';
    return 'rsync';
  }
  if (proc.comm === 'ssh') {
    // A shared connection's master: ControlPersist forks it off the ssh that made it, and it daemonizes
    // (re-parented, found by its command line: adopted).
    if (proc.adopted) return 'ssh-master';
    const parent = tree.get(proc.ppid);
    if (parent?.comm === 'ssh') return 'ssh-master';
    // Started by node itself: `ssh -O check` or `-O exit` on the master.
    if (parent === undefined || parent.comm === 'node') return 'ssh-control';
    return labelOf(parent, tree);
  }
  return proc.comm;
}

/** A process first seen at `now` (ms), before its program, argv and memory are read. */
function newProc(pid, ppid, now) {
  return { pid, ppid, comm: '', argv: [], first: now, last: now, ended: false, hwm: 0, rss: 0 };
}

export class TreeSampler {
  /**
   * rootPid: the tree's root; t0: performance.now() at its spawn; adopt(argv): whether a process outside
   * the tree belongs to it all the same (looked at once per new pid).
   */
  constructor(rootPid, t0, adopt = undefined) {
    this.root = rootPid;
    this.t0 = t0;
    this.adopt = adopt;
    /** pid → { ppid, comm, argv, first, last, ended, hwm (of the exec'd program), rss } */
    this.tree = new Map();
    this.outside = new Set();
    this.peakSum = 0;
    this.samples = 0;
    this.timer = setInterval(() => this.tick(), SAMPLE_MS);
    this.tick();
  }

  tick() {
    const now = performance.now() - this.t0;
    this.samples += 1;
    let entries;
    try {
      entries = fs.readdirSync('/proc');
    } catch {
      return;
    }
    const pids = entries
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .sort((a, b) => a - b);
    for (const pid of pids) {
      if (this.tree.has(pid) || this.outside.has(pid)) continue;
      if (pid === this.root) {
        this.tree.set(pid, newProc(pid, 0, now));
        continue;
      }
      const st = readStat(pid);
      const inTree = st !== undefined && this.tree.has(st.ppid);
      if (inTree || (st !== undefined && this.adopt?.(readCmdline(pid)))) {
        this.tree.set(pid, { ...newProc(pid, st.ppid, now), adopted: !inTree });
      } else {
        this.outside.add(pid);
      }
    }
    let sum = 0;
    for (const proc of this.tree.values()) {
      if (proc.ended) continue;
      const status = readStatus(proc.pid);
      if (!status || status.state === 'Z' || status.state === 'X') {
        proc.ended = true;
        proc.rss = 0;
        continue;
      }
      proc.last = now;
      if (status.name !== proc.comm) {
        // exec'd (or first look): a new program, a fresh high-water mark
        proc.comm = status.name;
        proc.hwm = 0;
        proc.argv = readCmdline(proc.pid);
      }
      const parent = this.tree.get(proc.ppid);
      // A child forked by node that has not exec'd yet still looks like node: not a program of its own.
      proc.preExec = parent !== undefined && parent.comm === proc.comm && proc.comm === 'node';
      proc.hwm = Math.max(proc.hwm, status.hwm);
      proc.rss = status.rss;
      if (proc.comm !== 'time' && !proc.preExec) sum += status.rss;
    }
    this.peakSum = Math.max(this.peakSum, sum);
  }

  stop() {
    clearInterval(this.timer);
  }

  /** Largest VmHWM of one process per program name (node: the main process only). */
  peaks() {
    const out = {};
    for (const proc of this.tree.values()) {
      if (proc.comm === '' || proc.preExec) continue;
      out[proc.comm] = Math.max(out[proc.comm] ?? 0, proc.hwm);
    }
    return out;
  }

  /** "label/program" → largest VmHWM, e.g. fetch/rsync, remove/rsync, fetch/ssh, node/node. */
  peaksByLabel() {
    const out = {};
    for (const proc of this.tree.values()) {
      if (proc.comm === '' || proc.preExec || proc.comm === 'time') continue;
      const key = `${labelOf(proc, this.tree)}/${proc.comm}`;
      out[key] = Math.max(out[key] ?? 0, proc.hwm);
    }
    return out;
  }

  /**
   * label → { start, end, processes, busy } in ms after spawn: first and last sample that saw a process of
   * that label alive, how many there were, and the sum of their lifetimes (several mailboxes in parallel
   * make busy exceed end − start). Only the first process of a program counts: an ssh counts with the
   * rsync that started it, and the local rsync's forked second process (receiver and generator) with
   * the rsync it forked from.
   */
  spans() {
    const spans = {};
    for (const proc of this.tree.values()) {
      if (proc.comm === '' || proc.preExec) continue;
      const label = labelOf(proc, this.tree);
      const parent = this.tree.get(proc.ppid);
      const counts =
        (proc.comm !== 'ssh' || label.startsWith('ssh-')) &&
        !(proc.comm === 'rsync' && parent?.comm === 'rsync');
      spans[label] ??= {
        start: Number.POSITIVE_INFINITY,
        end: Number.NEGATIVE_INFINITY,
        processes: 0,
        busy: 0,
        any: { start: proc.first, end: proc.last },
      };
      const span = spans[label];
      span.any.start = Math.min(span.any.start, proc.first);
      span.any.end = Math.max(span.any.end, proc.last);
      if (!counts) continue;
      span.start = Math.min(span.start, proc.first);
      span.end = Math.max(span.end, proc.last);
      span.processes += 1;
      span.busy += proc.last - proc.first;
    }
    for (const span of Object.values(spans)) {
      if (span.processes === 0) Object.assign(span, span.any);
      delete span.any;
    }
    return spans;
  }

  /** The processes of the tree still alive now, but the root ([{ pid, comm, label }]). */
  living() {
    this.tick();
    return [...this.tree.values()]
      .filter((p) => !p.ended && p.pid !== this.root && !p.preExec)
      .map((p) => ({ pid: p.pid, comm: p.comm, label: labelOf(p, this.tree) }));
  }

  /** SIGKILLs every process of the tree still alive (the benchmark was interrupted); returns their pids. */
  killAll() {
    this.stop();
    const killed = new Set();
    // Twice: a process forked since the last sample is found by the next look, its parent killed or not.
    for (let pass = 0; pass < 2; pass++) {
      this.tick();
      for (const proc of this.tree.values()) {
        if (proc.ended || killed.has(proc.pid)) continue;
        // Still the program we saw, not a pid reused since.
        const status = readStatus(proc.pid);
        if (status === undefined || (proc.comm !== '' && status.name !== proc.comm)) continue;
        try {
          process.kill(proc.pid, 'SIGKILL');
          killed.add(proc.pid);
        } catch {
          // gone meanwhile
        }
      }
    }
    return [...killed];
  }
}
