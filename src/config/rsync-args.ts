// The extra rsync arguments a mailbox may add. This is an allowlist: syncmail's guarantees (never lose or
// half-deliver a message, never follow links from the server) depend on the options it sets itself, so only
// options that cannot undo them are accepted. The well-known dangerous ones get a reason.

/** Options without a value. */
const FLAGS = new Set([
  '-z',
  '--compress',
  '-4',
  '--ipv4',
  '-6',
  '--ipv6',
  '--fsync',
  '--blocking-io',
  '--no-motd',
]);

const CHOICE = /^[A-Za-z0-9_,+-]+$/;

/** Options that need `=value` in the same item, with the form of the value. */
const WITH_VALUE: ReadonlyMap<string, RegExp> = new Map([
  ['--bwlimit', /^\d+(\.\d+)?[A-Za-z]{0,3}$/], // 500, 1.5m, 100KiB
  ['--rsync-path', /^\S/], // a program on the server, possibly with arguments
  ['--compress-level', /^-?\d+$/],
  ['--compress-choice', CHOICE],
  ['--zc', CHOICE],
  ['--checksum-choice', CHOICE],
  ['--cc', CHOICE],
  ['--sockopts', /^[A-Za-z0-9_=,.-]+$/],
]);

const ALLOWED_LIST =
  '--bwlimit=N, --rsync-path=PATH, -z/--compress, --compress-level=N, --compress-choice=NAME (--zc), ' +
  '--checksum-choice=NAME (--cc), -4/--ipv4, -6/--ipv6, --fsync, --sockopts=OPTIONS, --blocking-io, --no-motd';

const DELETES = 'it would delete local mail';
const HALF_WRITTEN = 'it would expose half-written messages';
const LINKS = 'it would follow or create symlinks from the server';
const OWN = 'syncmail sets this itself';

const REASONS: ReadonlyMap<string, string> = new Map([
  ['--del', DELETES], // rsync's short name for --delete-during
  ['--inplace', HALF_WRITTEN],
  ['--append', HALF_WRITTEN],
  ['--append-verify', HALF_WRITTEN],
  ['--partial', HALF_WRITTEN],
  ['-P', HALF_WRITTEN], // --partial --progress
  ['--copy-links', LINKS],
  ['-L', LINKS],
  ['--copy-unsafe-links', LINKS],
  ['--links', LINKS],
  ['-l', LINKS],
  ['-a', LINKS], // --archive includes --links
  ['--archive', LINKS],
  ['--copy-dirlinks', LINKS],
  ['-k', LINKS],
  ['--keep-dirlinks', LINKS],
  ['-K', LINKS],
  ['--old-args', "it would let the server's shell split remote paths"],
  ['--remove-source-files', OWN],
  ['--remove-sent-files', OWN],
  ['--ignore-existing', OWN],
  ['--partial-dir', OWN],
  ['--temp-dir', OWN],
  ['-T', OWN],
  ['-e', OWN],
  ['--rsh', OWN],
  ['--files-from', OWN],
  ['--timeout', 'use the ioTimeout setting instead'],
  ['--stop-after', 'use the maxMinutes setting instead'],
  ['--time-limit', 'use the maxMinutes setting instead'],
]);

/** Why the option `name` (without any `=value`) is refused, for the well-known dangerous ones. */
function reasonFor(name: string): string | undefined {
  if (name.startsWith('--delete')) return DELETES;
  return REASONS.get(name);
}

function notAllowed(arg: string): string {
  return `${JSON.stringify(arg)} is not allowed; the rsync options allowed here are: ${ALLOWED_LIST}`;
}

function onePerItem(arg: string): string {
  return `${JSON.stringify(arg)} holds more than one word; put each option in its own list item, with its value after "=" (e.g. --bwlimit=500)`;
}

function checkLong(arg: string): string | undefined {
  const equals = arg.indexOf('=');
  const name = equals === -1 ? arg : arg.slice(0, equals);
  const value = arg.slice(equals + 1);
  const reason = reasonFor(name);
  if (reason !== undefined) return `${JSON.stringify(arg)} is not allowed: ${reason}`;
  if (/\s/.test(name)) return onePerItem(arg);
  if (FLAGS.has(name))
    return equals === -1 ? undefined : `${JSON.stringify(arg)}: ${name} takes no value`;
  const form = WITH_VALUE.get(name);
  if (form === undefined) return notAllowed(arg);
  if (equals === -1)
    return `${JSON.stringify(arg)} needs its value in the same item, e.g. ${name}=…`;
  if (!form.test(value))
    return `${JSON.stringify(arg)}: ${JSON.stringify(value)} is not a valid value for ${name}`;
  if (name !== '--rsync-path' && /\s/.test(value)) return onePerItem(arg);
  return undefined;
}

function checkShort(arg: string): string | undefined {
  if (arg.length === 2) {
    const reason = reasonFor(arg);
    if (reason !== undefined) return `${JSON.stringify(arg)} is not allowed: ${reason}`;
    return FLAGS.has(arg) ? undefined : notAllowed(arg);
  }
  if (/\s/.test(arg)) return onePerItem(arg);
  // Several short options in one item, like -avz: name the first dangerous one.
  for (const letter of arg.slice(1)) {
    const reason = reasonFor(`-${letter}`);
    if (reason !== undefined) {
      const why = reason.startsWith('it ') ? ` ${reason.slice(3)}` : `: ${reason}`;
      return `${JSON.stringify(arg)} is not allowed: -${letter}${why}`;
    }
    if (letter === 'e') break; // -e takes the rest of the item as its value
  }
  const letters = [...arg.slice(1)].map((letter) => `-${letter}`);
  if (letters.every((option) => FLAGS.has(option))) {
    return `${JSON.stringify(arg)}: write each option as its own list item: ${letters.map((o) => JSON.stringify(o)).join(', ')}`;
  }
  return notAllowed(arg);
}

/** Returns why the rsync argument `arg` is refused, or undefined when it is allowed. */
export function checkRsyncArg(arg: string): string | undefined {
  if (!arg.startsWith('-') || arg === '-' || arg === '--') {
    return `${JSON.stringify(arg)} is not an rsync option; give a value together with its option, e.g. --bwlimit=500`;
  }
  return arg.startsWith('--') ? checkLong(arg) : checkShort(arg);
}
