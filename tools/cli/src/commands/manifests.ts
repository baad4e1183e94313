import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('manifests <table>')
    .description('the manifests of a snapshot (base, delta, changelog lists) with file counts and ranges')
    .option('--snapshot <id>', 'of this snapshot (default: latest)')
    .addHelpText(
      'after',
      examples(`eddy ${W} manifests shop.orders`, `eddy ${W} manifests shop.orders --snapshot 2 --json`),
    )
    .action(
      act(async (g, name: string, o: { snapshot?: string }) =>
        (await import('../inspect.ts')).runManifests(g, name, o),
      ),
    );
}
