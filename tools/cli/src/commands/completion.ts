import type { Command } from 'commander';
import { examples } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('completion <shell>')
    .description('print a shell completion script (bash or zsh) for eddy: commands, subcommands and options')
    .addHelpText(
      'after',
      `${examples(
        'eddy completion bash > ~/.local/share/bash-completion/completions/eddy',
        'source <(eddy completion bash)',
        'eddy completion zsh > ~/.zfunc/_eddy   # with fpath+=(~/.zfunc) in ~/.zshrc',
      )}`,
    )
    .action(async (shell: string) => {
      const { completionScript } = await import('../completion.ts');
      process.stdout.write(completionScript(program, shell));
    });
}
