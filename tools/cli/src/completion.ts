/**
 * `eddy completion bash|zsh`: completion scripts generated from the program's own definitions, so
 * every command, subcommand and option the CLI has is completed, and nothing it lacks.
 */
import type { Command, Option } from 'commander';

interface Node {
  readonly path: string[];
  readonly description: string;
  readonly options: Option[];
  readonly children: Node[];
}

function tree(cmd: Command, path: string[] = []): Node {
  return {
    path,
    description: cmd.description(),
    options: cmd.options.filter((o) => !o.hidden),
    children: cmd.commands.filter((c) => c.name() !== 'help').map((c) => tree(c, [...path, c.name()])),
  };
}

const flags = (options: readonly Option[]) =>
  options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)).concat('--help');

/** Single-quoted for a shell. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bash(root: Node): string {
  const all: Node[] = [];
  const visit = (n: Node) => {
    all.push(n);
    n.children.forEach(visit);
  };
  visit(root);
  const globals = flags(root.options);
  // Options that take a value: the word after them is not a command.
  const valued = [
    ...new Set(
      all
        .flatMap((n) => n.options)
        .filter((o) => o.required || o.optional)
        .flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)),
    ),
  ].join(' ');
  const known = `|${all.map((n) => n.path.join(' ')).join('|')}|`;
  const cases = all.map((n) => {
    const words = new Set([...n.children.map((c) => c.path[c.path.length - 1]), ...flags(n.options), ...globals]);
    return `    ${q(n.path.join(' '))}) words=${q([...words].join(' '))} ;;`;
  });
  return `# bash completion for eddy: source <(eddy completion bash)
_eddy() {
  local cur prev path="" next i w words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # After an option that takes a value: file names (complete -o default).
  case " ${valued} " in *" $prev "*) COMPREPLY=(); return ;; esac
  # The (sub)command named so far, skipping options, their values and positional arguments.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case " ${valued} " in *" \${COMP_WORDS[i-1]} "*) continue ;; esac
    next="\${path:+$path }$w"
    case ${q(known)} in *"|$next|"*) path="$next" ;; *) break ;; esac
  done
  case "$path" in
${cases.join('\n')}
  esac
  if [[ "$cur" != -* ]]; then words="$(printf '%s\\n' $words | grep -v '^-')"; fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _eddy eddy
`;
}

function zsh(root: Node): string {
  const spec = (o: Option) => {
    const names = [o.short, o.long].filter((f): f is string => f !== undefined);
    const desc = (o.description ?? '').replace(/[[\]:'\\]/g, ' ');
    const value =
      o.required || o.optional
        ? `:${(o.flags.match(/[<[]([^>\]]+)[>\]]/)?.[1] ?? 'value').replace(/[:']/g, ' ')}:_files`
        : '';
    const head = names.length > 1 ? `(${names.join(' ')})'{${names.join(',')}}'` : names[0];
    return `'${head}[${desc}]${value}'`;
  };
  const fn = (n: Node): string => {
    const name = ['_eddy', ...n.path].join('_').replace(/-/g, '_');
    const opts = n.options.map(spec).join(' \\\n    ');
    if (n.children.length === 0)
      return `${name}() {\n  _arguments -s \\\n    ${opts ? `${opts} \\\n    ` : ''}'*:file:_files'\n}\n`;
    const cmds = n.children
      .map((c) => `    ${q(`${c.path[c.path.length - 1]}:${c.description.replace(/:/g, ' ')}`)}`)
      .join('\n');
    const dispatch = n.children
      .map((c) => `    ${c.path[c.path.length - 1]}) ${['_eddy', ...c.path].join('_').replace(/-/g, '_')} ;;`)
      .join('\n');
    return `${name}() {
  local curcontext="$curcontext" state line
  local -a commands
  commands=(
${cmds}
  )
  _arguments -C \\
    ${opts ? `${opts} \\\n    ` : ''}'1:command:->command' \\
    '*::argument:->argument'
  case $state in
  command) _describe -t commands 'eddy command' commands ;;
  argument)
    case $line[1] in
${dispatch}
    esac ;;
  esac
}
${n.children.map(fn).join('\n')}`;
  };
  return `#compdef eddy
# zsh completion for eddy (eddy completion zsh): put it in a directory of $fpath as _eddy.
${fn(root)}
_eddy "$@"
`;
}

export function completionScript(program: Command, shell: string): string {
  const root = tree(program);
  if (shell === 'bash') return bash(root);
  if (shell === 'zsh') return zsh(root);
  throw new Error(`completion: expected bash or zsh, got '${shell}'`);
}
