// The options a command takes, read from its --help text (the same text `--help` prints), and what
// its usage line says it takes after the options. Pure.
import { listUnder, parseHelp } from '../help/sections.js';

export interface HelpOption {
  /** Every spelling: ['-c', '--config']. */
  readonly names: readonly string[];
  /** The argument's placeholder (FILE, SECONDS), when the option takes one. */
  readonly arg: string | undefined;
  readonly description: string;
}

/** The options listed under `Options:`, from lines like `  -c, --config FILE   use exactly …`. */
export function helpOptions(helpText: string): HelpOption[] {
  const options: HelpOption[] = [];
  for (const item of listUnder(parseHelp(helpText), 'Options')) {
    const words = item.tag.split(/,?\s+/);
    const names = words.filter((w) => /^--?[A-Za-z0-9][\w-]*$/.test(w));
    if (names.length === 0) continue;
    const arg = words.slice(names.length).join(' ');
    options.push({ names, arg: arg === '' ? undefined : arg, description: item.text });
  }
  return options;
}

export interface UsageShape {
  /** The literal first word after the command's name: `test` of `syncmail rules test FILE...`. */
  readonly subcommands: readonly string[];
  /** Whether the positional arguments are paths (FILE, MAILDIR, DIR), which the shell completes. */
  readonly pathArgs: boolean;
}

/** What a usage line (`syncmail rules test [options] FILE|MAILDIR...`) takes besides options. */
export function usageShape(usage: string, command: string): UsageShape {
  const words = usage.split(/\s+/).slice(1); // after `syncmail`
  const rest = words[0] === command || words[0] === `[${command}]` ? words.slice(1) : words;
  // The first word, if literal: `test`, or choices such as `bash|zsh`.
  const first = rest[0] ?? '';
  const subcommands = /^[a-z][a-z-]*(\|[a-z][a-z-]*)*$/.test(first) ? first.split('|') : [];
  const pathArgs = rest.some((w) => /\b(FILE|MAILDIR|DIR|PATH)\b/.test(w) && !w.startsWith('-'));
  return { subcommands, pathArgs };
}
