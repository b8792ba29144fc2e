// `syncmail completion zsh`: a zsh completion function made from the commands' help. Pure.
// The same ground as the bash one (commands, options, a command's first word, paths), with the
// descriptions from the help shown beside each candidate.
import type { HelpOption } from './help-options.js';
import { type CompletionSpec, takesPath } from './spec.js';

/** Text inside a zsh single-quoted word. */
function sq(text: string): string {
  return text.replaceAll("'", `'\\''`);
}

/** An _arguments explanation: brackets and backslashes would end or bend it. */
function explanation(text: string): string {
  return sq(text.replace(/([\\[\]])/g, '\\$1'));
}

function optionSpec(option: HelpOption): string {
  const explain = `[${explanation(option.description)}]`;
  const value =
    option.arg === undefined
      ? ''
      : `:${sq(option.arg.replaceAll(':', '\\:'))}:${takesPath(option) ? '_files' : ' '}`;
  // With an argument: -c+ takes it joined or next; --config= takes --config=X or --config X.
  const spell = (name: string) =>
    option.arg === undefined ? name : name.startsWith('--') ? `${name}=` : `${name}+`;
  if (option.names.length === 1) return `'${spell(option.names[0] ?? '')}${explain}${value}'`;
  const group = `'(${option.names.join(' ')})'`;
  return `${group}{${option.names.map(spell).join(',')}}'${explain}${value}'`;
}

function positionals(spec: CompletionSpec): string[] {
  const specs: string[] = [];
  if (spec.subcommands.length > 0) specs.push(`'1:command:(${spec.subcommands.join(' ')})'`);
  if (spec.pathArgs) specs.push("'*:file:_files'");
  return specs;
}

function caseArm(spec: CompletionSpec): string {
  const args = [...spec.options.map(optionSpec), ...positionals(spec)];
  const lines = ['_arguments -s -S :', ...args].join(' \\\n        ');
  return `    (${spec.name})\n      ${lines}\n      ;;`;
}

export function zshCompletion(specs: readonly CompletionSpec[]): string {
  const names = specs.map((s) => s.name);
  const described = specs.map((s) => `    '${s.name}:${sq(s.summary)}'`);
  return `#compdef syncmail
# zsh completion for syncmail, made by \`syncmail completion zsh\` from its --help.
# Install it in a directory of $fpath, before compinit:
#   syncmail completion zsh > ~/.zfunc/_syncmail   (with fpath=(~/.zfunc $fpath) in ~/.zshrc)
# or load it after compinit:  source <(syncmail completion zsh)

_syncmail() {
  local -a commands
  commands=(
${described.join('\n')}
  )
  if (( CURRENT == 2 )) && [[ $words[2] != -* ]]; then
    _describe -t commands 'syncmail command' commands
    return
  fi
  local cmd=sync
  case $words[2] in
    (${names.join('|')})
      cmd=$words[2]
      shift words
      (( CURRENT-- ))
      ;;
  esac
  case $cmd in
${specs.map(caseArm).join('\n')}
  esac
}

if [[ $funcstack[1] == _syncmail ]]; then
  _syncmail "$@"
else
  compdef _syncmail syncmail
fi
`;
}
