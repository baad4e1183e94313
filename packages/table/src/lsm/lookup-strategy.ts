import type { TableSchema } from '../schema/table-schema.ts';

/**
 * Paimon's lookup strategy (CoreOptions.lookupStrategy, LookupStrategy.needLookup): tables whose
 * compaction looks keys up in the higher levels — `merge-engine` = `first-row`, `changelog-producer`
 * = `lookup`, deletion vectors, or `force-lookup`. Their writers compact level 0 away after every
 * commit, and their readers rely on it (first-row and DV batch reads skip level 0).
 */
export function needsLookup(schema: TableSchema): boolean {
  const o = schema.options;
  return (
    o.mergeEngine === 'first-row' ||
    o.changelogProducer === 'lookup' ||
    o.deletionVectorsEnabled ||
    flag(schema, 'force-lookup')
  );
}

/**
 * Whether a compaction that the universal picker skips still moves level 0 up (Paimon's
 * ForceUpLevel0Compaction): lookup tables, or `compaction.force-up-level-0`. Paimon's
 * `lookup-compact` = `gentle` does so only every `lookup-compact.max-interval` compactions; Eddy
 * always does (radical, the default): rows become visible sooner, never different ones.
 */
export function forcesUpLevel0(schema: TableSchema): boolean {
  return needsLookup(schema) || flag(schema, 'compaction.force-up-level-0');
}

const flag = (schema: TableSchema, key: string) => schema.rawOptions[key]?.trim().toLowerCase() === 'true';
