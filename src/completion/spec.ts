// What the shell completions know of each command, taken from its --help text. Pure.
import { InternalError } from '../errors.js';
import { parseHelp } from '../help/sections.js';
import { type HelpOption, helpOptions, type UsageShape, usageShape } from './help-options.js';

export interface CommandHelp {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
}

export interface CompletionSpec extends UsageShape {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly HelpOption[];
}

/** Names that go into a shell script unquoted must be plain words. */
const PLAIN = /^-{0,2}[A-Za-z0-9][A-Za-z0-9-]*$/;

function checked(spec: CompletionSpec): CompletionSpec {
  const words = [spec.name, ...spec.subcommands, ...spec.options.flatMap((o) => o.names)];
  const odd = words.find((w) => !PLAIN.test(w));
  if (odd !== undefined)
    throw new InternalError(`completion: "${odd}" of ${spec.name} is not a plain word`);
  return spec;
}

/** The specs of the commands, then of `help`, whose argument is a command name. */
export function completionSpecs(commands: readonly CommandHelp[]): CompletionSpec[] {
  const specs = commands.map((c) =>
    checked({
      name: c.name,
      summary: c.summary,
      options: helpOptions(c.help),
      ...usageShape(parseHelp(c.help).usage, c.name),
    }),
  );
  specs.push({
    name: 'help',
    summary: "show the help, or a command's: syncmail help COMMAND",
    options: [],
    subcommands: commands.map((c) => c.name),
    pathArgs: false,
  });
  return specs;
}

/** Whether an option's argument is a path the shell should complete. */
export function takesPath(option: HelpOption): boolean {
  return option.arg !== undefined && /\b(FILE|DIR|MAILDIR|PATH)\b/.test(option.arg);
}
