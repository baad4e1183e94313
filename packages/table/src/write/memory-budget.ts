/** Something that holds buffered rows and can flush them to free memory. */
export interface BufferOwner {
  readonly bufferedBytes: number;
  flushBuffer(): Promise<void>;
}

/**
 * One memory budget shared by every bucket buffer registered with it (`write-buffer-size`). When
 * the total goes over the limit, the largest buffers are flushed until usage is at half the limit,
 * so memory stays bounded whether a writer touches 1 bucket or 1,000.
 */
export class MemoryBudget {
  private readonly owners = new Set<BufferOwner>();

  constructor(readonly limitBytes: number) {}

  /** @internal */
  register(owner: BufferOwner): void {
    this.owners.add(owner);
  }

  /** @internal */
  unregister(owner: BufferOwner): void {
    this.owners.delete(owner);
  }

  get usedBytes(): number {
    let used = 0;
    for (const o of this.owners) used += o.bufferedBytes;
    return used;
  }

  /** @internal Flushes the largest buffers while usage is above the limit. */
  async reclaim(): Promise<void> {
    let used = this.usedBytes;
    if (used <= this.limitBytes) return;
    const target = this.limitBytes / 2;
    const bySize = [...this.owners].sort((a, b) => b.bufferedBytes - a.bufferedBytes);
    for (const o of bySize) {
      if (used <= target) break;
      const size = o.bufferedBytes;
      await o.flushBuffer();
      used -= size;
    }
  }
}
