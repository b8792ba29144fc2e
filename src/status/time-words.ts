// Times and durations as a person reads them in a status line. Pure: the clock and the local time zone
// of the Date values are the caller's.

/** "45 s", "12 min", "2 h 10 min", "3 d 4 h": two units at most, rounded down. */
export function longDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** "45s", "12m", "2h", "3d": one unit, for bars and prompts. */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "14:05" today, "2026-05-01 14:05" on another day (local time). */
export function clockTime(time: Date, now: Date): string {
  const hm = `${pad(time.getHours())}:${pad(time.getMinutes())}`;
  const sameDay =
    time.getFullYear() === now.getFullYear() &&
    time.getMonth() === now.getMonth() &&
    time.getDate() === now.getDate();
  if (sameDay) return hm;
  return `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())} ${hm}`;
}

/** Seconds from `time` to `now` (0 when the clock went back). */
export function secondsSince(time: Date, now: Date): number {
  return Math.max(0, (now.getTime() - time.getTime()) / 1000);
}
