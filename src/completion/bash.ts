// `syncmail completion bash`: a bash completion function made from the commands' help. Pure.
//
// It completes command names (first word), each command's options, the first word a command's usage
// names (`rules test`, `help COMMAND`), and file names where an option or the usage takes a path.
// It runs nothing: no syncmail, no config read, so a Tab is instant and safe in any directory.
import { type CompletionSpec, takesPath } from './spec.js';

function words(list: Iterable<string>): string {
  return [...list].join(' ');
}

function caseArm(spec: CompletionSpec): string {
  const all = spec.options.flatMap((o) => o.names);
  const withArg = spec.options.filter((o) => o.arg !== undefined).flatMap((o) => o.names);
  const withPath = spec.options.filter(takesPath).flatMap((o) => o.names);
  return [
    `    ${spec.name})`,
    `      opts='${words(all)}'`,
    `      arg_opts='${words(withArg)}'`,
    `      path_opts='${words(withPath)}'`,
    `      subs='${words(spec.subcommands)}'`,
    `      paths=${spec.pathArgs ? 1 : 0}`,
    '      ;;',
  ].join('\n');
}

export function bashCompletion(specs: readonly CompletionSpec[]): string {
  const names = specs.map((s) => s.name);
  return `# bash completion for syncmail, made by \`syncmail completion bash\` from its --help.
# Load it from ~/.bashrc:  source <(syncmail completion bash)
# or install it:  syncmail completion bash > ~/.local/share/bash-completion/completions/syncmail

_syncmail_files() {
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

_syncmail() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local cmd=sync first=1
  case \${COMP_WORDS[1]} in
    ${names.join('|')})
      if ((COMP_CWORD > 1)); then cmd=\${COMP_WORDS[1]}; first=2; fi
      ;;
  esac
  COMPREPLY=()
  if ((COMP_CWORD == 1)) && [[ $cur != -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W '${words(names)}' -- "$cur")
    return 0
  fi
  # --option=VALUE: bash splits the word at '=' (COMP_WORDBREAKS).
  if [[ $cur == = ]]; then
    cur=
  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
    prev=\${COMP_WORDS[COMP_CWORD-2]}
  fi
  local opts arg_opts path_opts subs paths
  case $cmd in
${specs.map(caseArm).join('\n')}
  esac
  if [[ " $arg_opts " == *" $prev "* ]]; then
    if [[ " $path_opts " == *" $prev "* ]]; then _syncmail_files "$cur"; fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
  elif ((COMP_CWORD == first)) && [[ -n $subs ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
  elif ((paths)); then
    _syncmail_files "$cur"
  fi
  return 0
}

complete -F _syncmail syncmail
`;
}
