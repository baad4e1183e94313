/**
 * Which tables with `deletion-vectors.enabled` Eddy writes and compacts: fixed-bucket primary-key
 * tables with the deduplicate merge engine, no `sequence.field`, changelog producer none, input or lookup. Their
 * lookup compaction only marks older rows deleted; other engines also merge the looked-up row
 * into the result (Java's LookupMergeFunction), which Eddy does not do yet.
 */
import type { CoreOptions } from '../options/core-options.ts';

/** Why writing or compacting `schema` with deletion vectors is refused, or undefined when it is not. */
export function deletionVectorWriteProblem(schema: {
  readonly isPrimaryKeyTable: boolean;
  readonly options: CoreOptions;
}): string | undefined {
  const o = schema.options;
  if (!o.deletionVectorsEnabled) return undefined;
  const what = "with 'deletion-vectors.enabled'";
  if (!schema.isPrimaryKeyTable) return `${what} on an append table is not supported yet`;
  if (o.mergeEngine !== 'deduplicate')
    return `${what} and merge-engine '${o.mergeEngine}' is not supported yet (deduplicate only)`;
  if (o.sequenceFields.length > 0) return `${what} and 'sequence.field' is not supported yet`;
  // full-compaction compares with the top level as read, where a vector already hides the rows
  // an update replaced; none, input and lookup do not depend on how old rows are hidden.
  if (o.changelogProducer === 'full-compaction')
    return `${what} and changelog-producer '${o.changelogProducer}' is not supported yet`;
  if (o.bucket <= 0) return `${what} and bucket = ${o.bucket} is not supported yet (fixed buckets only)`;
  return undefined;
}
