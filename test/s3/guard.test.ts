import { describe, expect, it } from 'vitest';
import { assertConditionalWritesEnforced } from './global-setup.ts';
import { s3Env, testS3IO, uniqueS3Path } from './helpers.ts';

// global-setup.ts already refuses to run anything against a server that ignores If-None-Match;
// this file makes the check visible in the report, and checks it through S3FileIO as well.
describe('guard: the S3 server enforces conditional writes', () => {
  it('rejects a second PUT If-None-Match: * with 412, and lets exactly one of 16 racers win', async () => {
    await assertConditionalWritesEnforced(s3Env());
  });

  it('S3FileIO.writeIfAbsent: one winner among 16 separate clients, and the winner’s bytes are stored', async () => {
    const path = uniqueS3Path('guard-key');
    const ios = Array.from({ length: 16 }, () => testS3IO({ maxAttempts: 3 }));
    try {
      const results = await Promise.all(ios.map((io, i) => io.writeIfAbsent(path, `writer ${i}`)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(new TextDecoder().decode(await ios[0].read(path))).toBe(`writer ${winner}`);
    } finally {
      for (const io of ios) io.destroy();
    }
  });
});
