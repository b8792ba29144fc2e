// `syncmail completion bash|zsh`: prints a shell completion script, made from the same help texts
// as
// --help (completion/spec.ts reads them), so a new option is completed as soon as it is documented.
// The command list comes from the dispatcher (main.ts), which passes it in: importing main.ts here
// would be a cycle.
import { bashCompletion } from '../completion/bash.js';
import { type CommandHelp, completionSpecs } from '../completion/spec.js';
import { zshCompletion } from '../completion/zsh.js';
import { EXIT, UsageError } from '../errors.js';
import type { Command } from './command.js';

export const COMPLETION_HELP = `Usage: syncmail completion bash|zsh

Print a completion script for bash or zsh: it completes commands, their
options, and file names where they take one. It runs nothing when you press
Tab. To load it:
  bash:  source <(syncmail completion bash)        in ~/.bashrc
  zsh:   syncmail completion zsh > ~/.zfunc/_syncmail
         with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc

Options:
  -h, --help   show this help
`;

const SHELLS = {
  bash: bashCompletion,
  zsh: zshCompletion,
} as const;

const HINT = 'give the shell: syncmail completion bash, or syncmail completion zsh';

export function completionCommand(commands: () => readonly CommandHelp[]): Command {
  return {
    name: 'completion',
    summary: 'print a bash or zsh completion script: source <(syncmail completion bash)',
    help: COMPLETION_HELP,
    async run(argv, io) {
      const [shell, ...rest] = argv;
      if (shell === '--help' || shell === '-h') {
        io.out(COMPLETION_HELP);
        return EXIT.ok;
      }
      if (shell === undefined) throw new UsageError('which shell?', HINT);
      if (rest.length > 0) throw new UsageError(`unexpected argument: "${rest[0]}"`, HINT);
      if (!Object.hasOwn(SHELLS, shell))
        throw new UsageError(`no completion for "${shell}"; there is one for bash and zsh`, HINT);
      io.out(SHELLS[shell as keyof typeof SHELLS](completionSpecs(commands())));
      return EXIT.ok;
    },
  };
}
