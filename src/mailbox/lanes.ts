// Which mailboxes may sync at the same time. Two mailboxes that deliver into a common Maildir (their own
// `local`, or a folder of their rules) or read the same server folder would only wait for each other's
// lock, so they share a lane and run one after the other, in config order; separate lanes run in
// parallel, at most `jobs` at once. Pure.
import type { Mailbox } from '../config/types.js';

/**
 * The mailboxes in lanes, each lane in config order, lanes in the order of their first mailbox. `claims`
 * names what a mailbox needs for itself (Maildir paths, the server folder); any claim in common joins
 * two lanes.
 */
export function lanes<M extends Pick<Mailbox, 'name'>>(
  mailboxes: readonly M[],
  claims: (mailbox: M) => readonly string[],
): M[][] {
  // Union-find over mailbox indexes; a claim remembers the first mailbox that made it.
  const parent = mailboxes.map((_, i) => i);
  const root = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] as number;
    parent[i] = r;
    return r;
  };
  const owner = new Map<string, number>();
  mailboxes.forEach((mailbox, i) => {
    for (const claim of claims(mailbox)) {
      const first = owner.get(claim);
      if (first === undefined) owner.set(claim, i);
      else {
        const [a, b] = [root(first), root(i)];
        parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  });
  const byRoot = new Map<number, M[]>();
  mailboxes.forEach((mailbox, i) => {
    const r = root(i);
    const lane = byRoot.get(r) ?? [];
    lane.push(mailbox);
    byRoot.set(r, lane);
  });
  return [...byRoot.values()];
}
