// syncmail's time split by step, for scripts/bench.mjs: from the /proc sampler's timeline of the processes
// it ran (fetch rsync, sync -f, remove rsync, …) and the timestamps of its own transfer log.
import fs from 'node:fs';

function readLog(logFile) {
  if (!logFile || !fs.existsSync(logFile)) return [];
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

const round = (x) => (x == null || !Number.isFinite(x) ? null : Math.round(x));

/** Phases of a syncmail run, in ms: from the process timeline, cross-checked with the transfer log. */
export function breakdown(spans, wallMs, logFile, t0Epoch) {
  const records = readLog(logFile);
  const at = (r) => Date.parse(r.time) - t0Epoch;
  const first = (event) => records.find((r) => r.event === event);
  const last = (event) => records.findLast((r) => r.event === event);
  const log = {
    runStart: first('run-start') && at(first('run-start')),
    fetchStats: first('stats') && at(first('stats')),
    firstDelivered: first('delivered') && at(first('delivered')),
    lastDelivered: last('delivered') && at(last('delivered')),
    firstRemoved: first('removed') && at(first('removed')),
    lastRemoved: last('removed') && at(last('removed')),
    mailboxEnd: first('mailbox-end') && at(first('mailbox-end')),
    runEnd: first('run-end') && at(first('run-end')),
    records: records.length,
  };
  const fetch = spans.fetch;
  const remove = spans.remove;
  const sync = spans.sync;
  const phases = {
    // node start, config, lock (flock), local scan, rsync --version check if any, up to the fetch rsync
    startup: round(fetch?.start),
    fetch: round(fetch && fetch.end - fetch.start),
    // fetch end → sync -f: readdir(stage), journal each batch (fsync), rename each message into new/,
    // its placeholder in pending/new, log records
    deliver: round(fetch && sync && sync.start - fetch.end),
    'sync -f': round(sync && sync.end - sync.start),
    // sync -f end → remove rsync: the journal's fsync, the pending placeholders listed
    'remove prep': round(sync && remove && remove.start - sync.end),
    // when sync -f finished between two samples, deliver + sync -f + prep together:
    'deliver..remove start': round(fetch && remove && remove.start - fetch.end),
    remove: round(remove && remove.end - remove.start),
    // remove end → exit: forget the removed in the journal (and compact it), close the log, node exit
    // (nothing new, no remove pass: fetch end → exit)
    finish: round(wallMs - (remove ?? sync ?? fetch ?? { end: Number.NaN }).end),
  };
  const fromLog = {
    // stats is logged when the fetch pass returns; each delivered record right after its message's
    // rename. So: stats → first delivered = reading the stage, deciding and journaling the first batch
    // (with its fsync); first → last delivered = the loop over every message (rename into new/, its
    // placeholder in pending/new, its journal record, its log record; and the next batches' journaling)
    'stats → first delivered (log)': round(
      log.fetchStats != null && log.firstDelivered != null
        ? log.firstDelivered - log.fetchStats
        : null,
    ),
    'first → last delivered (log)': round(
      log.firstDelivered != null ? log.lastDelivered - log.firstDelivered : null,
    ),
    'first removed after last delivered (log)': round(
      log.lastDelivered != null && log.firstRemoved != null
        ? log.firstRemoved - log.lastDelivered
        : null,
    ),
    'removed records span (log)': round(
      log.firstRemoved != null ? log.lastRemoved - log.firstRemoved : null,
    ),
  };
  return { phases, fromLog, log };
}

/** The process labels a syncmail run shows, in the order they run. */
export const STEP_LABELS = [
  'flock',
  'rsync-version',
  'fetch',
  'sync',
  'remove',
  'ssh-master',
  'ssh-control',
];

/**
 * For any number of mailboxes: per step, how many processes and their summed lifetime ("busy", ms; more
 * than the wall time when mailboxes run in parallel); start-up (spawn to the first fetch rsync); and from
 * the log, each mailbox's mailbox-start → mailbox-end, summed and the longest.
 */
export function steps(spans, wallMs, logFile, t0Epoch) {
  const records = readLog(logFile);
  const starts = new Map();
  const durations = [];
  for (const r of records) {
    if (r.event === 'mailbox-start') starts.set(r.mailbox, Date.parse(r.time));
    if (r.event === 'mailbox-end' && starts.has(r.mailbox))
      durations.push(Date.parse(r.time) - starts.get(r.mailbox));
  }
  const runStart = records.find((r) => r.event === 'run-start');
  const byStep = {};
  for (const label of STEP_LABELS) {
    const s = spans[label];
    if (s) byStep[label] = { processes: s.processes, busy: round(s.busy) };
  }
  const ends = ['fetch', 'sync', 'remove'].map((l) => spans[l]?.end).filter((x) => x != null);
  return {
    wall: round(wallMs),
    // node start, loading the modules and the config, up to the log's run-start record
    toRunStart: round(runStart ? Date.parse(runStart.time) - t0Epoch : null),
    toFirstFetch: round(spans.fetch?.start),
    byStep,
    mailboxes: durations.length,
    mailboxSum: round(durations.reduce((a, b) => a + b, 0)),
    mailboxLongest: round(durations.length ? Math.max(...durations) : null),
    // after the last rsync or sync -f: the journal, the log, node's exit
    afterLastProcess: round(ends.length ? wallMs - Math.max(...ends) : null),
  };
}
