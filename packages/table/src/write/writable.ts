import type { TableContext } from '../meta/table-context.ts';
import { EXTERNAL_PATHS_OPTION, EXTERNAL_PATHS_STRATEGY_OPTION } from '../meta/table-paths.ts';
import { checkSupported } from '../options/registry.ts';
import { EddyError } from '../types/errors.ts';

/**
 * Refuses to write (or compact) a table whose options make Paimon's writers do something Eddy's
 * do not: writing must never leave a table Flink reads differently.
 */
export function checkWritable(t: TableContext): void {
  const o = t.schema.options;
  checkSupported(t.schema.rawOptions, 'write');
  if (o.bucket === -2) {
    // Paimon writes postpone-bucket rows to `bucket-postpone/` and a Flink compaction job moves them
    // into real buckets (choosing their count): Eddy does neither.
    throw new EddyError(
      'UNSUPPORTED',
      `table ${t.name}: option 'bucket' = -2 (postpone bucket mode): writing and compacting such tables is not supported; Eddy reads them as Paimon does`,
    );
  }
  const strategy = (t.schema.rawOptions[EXTERNAL_PATHS_STRATEGY_OPTION] ?? 'none').trim().toLowerCase();
  if (strategy !== 'none' && (t.schema.rawOptions[EXTERNAL_PATHS_OPTION] ?? '').trim() !== '') {
    // Paimon writes new data files under the external roots; Eddy reads such files (confined to the
    // listed roots) but writes only inside the table, so writing would place files elsewhere than Java.
    throw new EddyError(
      'UNSUPPORTED',
      `table ${t.name}: option '${EXTERNAL_PATHS_STRATEGY_OPTION}' = '${strategy}' with '${EXTERNAL_PATHS_OPTION}': writing data files to external paths is not supported; Eddy reads such tables`,
    );
  }
  if (o.tagAutomaticCreation !== 'none') {
    throw new EddyError(
      'UNSUPPORTED',
      `table ${t.name}: option 'tag.automatic-creation' = '${o.tagAutomaticCreation}': Paimon commits create (and, by 'tag.num-retained-max', expire) tags automatically; Eddy's commits do not, so writing is refused`,
    );
  }
}
