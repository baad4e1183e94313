/**
 * Vitest global setup: the test files' temp directories (os.tmpdir()) in memory (/dev/shm) when
 * the machine has one, for this run only. The tables the tests write are fsync'd file by file and
 * deleted after each test; on a disk that is a large share of the suite's time, none of which a
 * test is about. The worker processes and the bins they spawn inherit TMPDIR. A TMPDIR already set
 * is kept (set it to choose where the tests write).
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import * as path from 'node:path';

const SHM = '/dev/shm';
/** Well above what the tests hold at once (tens of MB), so a small /dev/shm is left alone. */
const MIN_FREE_BYTES = 2 * 1024 ** 3;

export default function setup(): (() => void) | undefined {
  if (process.env.TMPDIR) return undefined;
  try {
    const fs = statfsSync(SHM);
    if (fs.bavail * fs.bsize < MIN_FREE_BYTES) return undefined;
  } catch {
    return undefined; // no /dev/shm (macOS, Windows): the default temp directory
  }
  const dir = mkdtempSync(path.join(SHM, 'eddy-test-'));
  process.env.TMPDIR = dir;
  return () => {
    delete process.env.TMPDIR;
    rmSync(dir, { recursive: true, force: true });
  };
}
