import { compareColumnRows } from '../data/columns.ts';
import type { CompactionBatch } from '../read/split-reader.ts';
import type { TableSchema } from '../schema/table-schema.ts';

/** A row cursor over a stream of merged batches (`batch` is undefined once the stream is done). */
export class BatchCursor {
  batch: CompactionBatch | undefined;
  row = 0;
  constructor(private readonly batches: AsyncGenerator<CompactionBatch> | undefined) {}

  /** Loads the next non-empty batch, or sets `batch` undefined at the end. */
  async fill(): Promise<void> {
    this.row = 0;
    for (;;) {
      const r = this.batches ? await this.batches.next() : undefined;
      this.batch = r && !r.done ? r.value : undefined;
      if (!this.batch || this.batch.length > 0) return;
    }
  }

  /** Moves to the next row; true when the batch is used up and `fill` must be awaited (per batch, not per row). */
  step(): boolean {
    return ++this.row >= this.batch!.length;
  }

  async close(): Promise<void> {
    await this.batches?.return(undefined);
  }
}

export type KeyComparator = (a: CompactionBatch, ra: number, b: CompactionBatch, rb: number) => number;

/** Compares two rows of merged batches (columns in `schema.fields` order) by primary key. */
export function keyComparator(schema: TableSchema): KeyComparator {
  const keyIdx = schema.trimmedPrimaryKeys.map((k) => schema.fieldIndex(k));
  return (a, ra, b, rb) => {
    for (const k of keyIdx) {
      const c = compareColumnRows(a.columns[k], ra, b.columns[k], rb);
      if (c !== 0) return c;
    }
    return 0;
  };
}
