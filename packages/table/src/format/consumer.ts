/**
 * A consumer file, `consumer/consumer-<id>`: `{"nextSnapshot": N}`, the next snapshot the consumer
 * reads. Java: org.apache.paimon.consumer.Consumer.
 */
import { corruptFile } from '../types/errors.ts';
import { checkMetadataSize, MAX_CONSUMER_JSON_BYTES } from '../types/limits.ts';

/** The `nextSnapshot` of a consumer file: a positive integer, else CORRUPT_FILE naming `path`. */
export function decodeConsumer(text: string, path: string): number {
  checkMetadataSize(text.length, MAX_CONSUMER_JSON_BYTES, path, 'consumer JSON');
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw corruptFile(path, 'not valid JSON', e);
  }
  const next = typeof o === 'object' && o !== null ? (o as { nextSnapshot?: unknown }).nextSnapshot : undefined;
  if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 1)
    throw corruptFile(path, `nextSnapshot must be a positive integer, got ${JSON.stringify(next) ?? 'nothing'}`);
  return next;
}
