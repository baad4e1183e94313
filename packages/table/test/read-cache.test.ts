import { describe, expect, it } from 'vitest';
import { ByteLru } from '../src/io/read-cache.ts';

describe('ByteLru (footers and manifests under one budget)', () => {
  it('evicts the least recently used entries by bytes, never exceeds the budget', () => {
    const c = new ByteLru<string>(100);
    c.set('a', 'A', 40);
    c.set('b', 'B', 40);
    expect(c.get('a')).toBe('A'); // a is now the most recent
    c.set('c', 'C', 40); // 120 > 100: b goes
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe('A');
    expect(c.get('c')).toBe('C');
    expect(c.bytes).toBe(80);
    expect(c.get('a')).toBe('A'); // order now: c, a
    c.grow('a', 30); // 110: the least recent (c) goes
    expect(c.get('c')).toBeUndefined();
    expect(c.bytes).toBe(70);
    c.set('huge', 'H', 101); // larger than the budget: not kept, nothing evicted
    expect(c.get('huge')).toBeUndefined();
    expect(c.get('a')).toBe('A');
    c.set('a', 'A2', 10); // replacing re-weighs
    expect(c.bytes).toBe(10);
    expect(c.get('a')).toBe('A2');
  });

  it('keeps nothing with a zero budget', () => {
    const c = new ByteLru<number>(0);
    c.set('x', 1, 1);
    expect(c.get('x')).toBeUndefined();
    expect(c.size).toBe(0);
  });
});
