import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalFileIO } from '../../packages/table/src/index.ts';
import { FaultFileIO, type FaultRecord, InjectedFault, isInjected } from './fault-file-io.ts';
import { failure, tempDir } from './helpers.ts';

describe('FaultFileIO', () => {
  it('is deterministic: the same seed and calls give the same faults', async () => {
    using dir = tempDir();
    const run = async (seed: number) => {
      const faults: FaultRecord[] = [];
      const io = new FaultFileIO(new LocalFileIO(), {
        seed,
        policy: { default: { before: 0.1, after: 0.1 }, write: { before: 0.1, after: 0.1, partial: 0.1 } },
        onFault: (f) => faults.push(f),
      });
      for (let i = 0; i < 200; i++) {
        const p = path.join(dir.path, `f${seed}-${i % 7}`);
        await io.write(p, `x${i}`).catch(() => undefined);
        await io.read(p).catch(() => undefined);
      }
      return faults.map((f) => `${f.call}:${f.op}:${f.kind}:${path.basename(f.path)}`);
    };
    const a = await run(7);
    expect(a.length).toBeGreaterThan(20);
    expect(await run(7)).toEqual(a.map((x) => x)); // same seed, same calls
    expect(await run(8)).not.toEqual(a);
  });

  it('before: fails without doing it; after: does it, then fails', async () => {
    using dir = tempDir();
    const p = path.join(dir.path, 'f');
    const before = new FaultFileIO(new LocalFileIO(), { seed: 1, policy: { write: { before: 1 } } });
    const e = await failure(() => before.write(p, 'a'));
    expect(e).toBeInstanceOf(InjectedFault);
    expect(isInjected(e)).toBe(true);
    expect(await new LocalFileIO().exists(p)).toBe(false);
    const after = new FaultFileIO(new LocalFileIO(), { seed: 1, policy: { writeIfAbsent: { after: 1 } } });
    await expect(after.writeIfAbsent(p, 'b')).rejects.toThrow(/acknowledgement was lost/);
    expect(readFileSync(p, 'utf8')).toBe('b');
  });

  it('partial: leaves a strict prefix of the data and fails', async () => {
    using dir = tempDir();
    const io = new FaultFileIO(new LocalFileIO(), { seed: 3, policy: { write: { partial: 1 } } });
    const data = 'x'.repeat(1000);
    for (let i = 0; i < 10; i++) {
      const p = path.join(dir.path, `p${i}`);
      await expect(io.write(p, data)).rejects.toThrow(/partial file/);
      const left = readFileSync(p, 'utf8');
      expect(left.length).toBeLessThan(data.length);
      expect(data.startsWith(left)).toBe(true);
    }
  });

  it('stall: times out, and the operation lands never, before the timeout or late', async () => {
    using dir = tempDir();
    const landed: string[] = [];
    const io = new FaultFileIO(new LocalFileIO(), {
      seed: 5,
      policy: { write: { stall: 1 } },
      timeoutMs: 5,
      lateLandingMaxMs: 20,
      onFault: (f) => landed.push(f.landed!),
    });
    for (let i = 0; i < 30; i++) {
      const p = path.join(dir.path, `s${i}`);
      const t0 = performance.now();
      await expect(io.write(p, 'z')).rejects.toThrow(/timed out/);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(4);
    }
    await io.settled();
    expect(new Set(landed)).toEqual(new Set(['never', 'before-timeout', 'late']));
    const files = landed.map((l, i) => [l, readFileSafe(path.join(dir.path, `s${i}`))]);
    for (const [l, content] of files) expect(content === 'z').toBe(l !== 'never');
  });

  it('rates are checked', () => {
    expect(
      () => new FaultFileIO(new LocalFileIO(), { seed: 1, policy: { read: { before: 0.7, after: 0.7 } } }),
    ).toThrow(RangeError);
  });
});

function readFileSafe(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}
