// --netem MS of scripts/bench.mjs: a network namespace whose loopback delays every packet by MS/2 (a round
// trip crosses lo twice), and the benchmark run again inside it, so that sshd and every client (rsync, ssh,
// syncmail) talk over the slow loopback. Only if the kernel has netem (CONFIG_NET_SCH_NETEM): otherwise
// probe() says why, and nothing runs.
import { spawn, spawnSync } from 'node:child_process';
import { alive, firstLine, pauseSync } from './util.mjs';

function ip(args) {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) return { ok: false, why: r.error.message };
  return { ok: r.status === 0, why: firstLine(r.stderr) || `exit ${r.status}` };
}

/**
 * Makes the namespace and its slow loopback. Returns { ok: true, name, note } or { ok: false, note };
 * on failure nothing is left behind.
 */
export function probe(ms) {
  const name = `syncmail-bench-${process.pid}`;
  const added = ip(['netns', 'add', name]);
  if (!added.ok)
    return {
      ok: false,
      note: `not available (ip netns add: ${added.why}); the --netem runs are skipped`,
    };
  const remove = () => ip(['netns', 'del', name]);
  const up = ip(['-n', name, 'link', 'set', 'lo', 'up']);
  if (!up.ok) {
    remove();
    return {
      ok: false,
      note: `not available (ip link set lo up: ${up.why}); the --netem runs are skipped`,
    };
  }
  const delay = `${ms / 2}ms`;
  const tc = ip([
    'netns',
    'exec',
    name,
    'tc',
    'qdisc',
    'add',
    'dev',
    'lo',
    'root',
    'netem',
    'delay',
    delay,
  ]);
  if (!tc.ok) {
    remove();
    return {
      ok: false,
      note: `not available on this kernel (tc qdisc add dev lo root netem delay ${delay}: ${tc.why}); the --netem ${ms} runs are skipped`,
    };
  }
  return {
    ok: true,
    name,
    note: `W1/W2 ran again in network namespace ${name}, netem delay ${delay} on lo each way (${ms} ms added to every round trip)`,
  };
}

export function removeNamespace(name) {
  ip(['netns', 'del', name]);
}

/**
 * Runs `node ...argv` inside the namespace (ip netns exec execs it: the pid is node's), its stderr passed
 * through, its stdout (the --json result) collected. `onChild` receives the child (to stop it on Ctrl-C).
 */
export function runInside(name, argv, cwd, onChild) {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', name, process.execPath, ...argv], {
      cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onChild(child);
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      onChild(undefined);
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve({ code, signal, result: JSON.parse(text) });
      } catch {
        reject(
          new Error(`the run inside the namespace ended (${signal ?? code}) without a JSON result`),
        );
      }
    });
  });
}

/** Stops the run inside the namespace (it cleans up after itself on SIGTERM); waits up to 10 s for it. */
export function stopSync(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 200 && alive(child.pid); i++) pauseSync(50);
}
