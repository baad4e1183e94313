import type { TableContext } from '../meta/table-context.ts';
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
  if (o.tagAutomaticCreation !== 'none') {
    throw new EddyError(
      'UNSUPPORTED',
      `table ${t.name}: option 'tag.automatic-creation' = '${o.tagAutomaticCreation}': Paimon commits create (and, by 'tag.num-retained-max', expire) tags automatically; Eddy's commits do not, so writing is refused`,
    );
  }
}
