import { afterEach, describe, expect, it, vi } from 'vitest';
import { WarmCache } from '../../server/src/store/sql/warm-cache.js';

const OPTIONS = { freshMs: 1000, maxStaleMs: 10_000, keepWarmMs: 30_000, maxKeys: 4 };

/** A computation that answers its call number, and counts calls. */
function counter(): { compute: () => Promise<number>; calls: () => number } {
  let calls = 0;
  return { compute: async () => ++calls, calls: () => calls };
}

describe('the warm cache of fleet aggregates', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('computes once for concurrent readers and serves the value while it is fresh', async () => {
    let now = 0;
    const cache = new WarmCache(OPTIONS, () => now);
    const { compute, calls } = counter();
    expect(await Promise.all([cache.get('k', compute), cache.get('k', compute), cache.get('k', compute)])).toEqual([1, 1, 1]);
    now = 999;
    expect(await cache.get('k', compute)).toBe(1);
    expect(calls()).toBe(1);
    cache.close();
  });

  it('serves a stale value while refreshing, and waits once the value is too old', async () => {
    let now = 0;
    const cache = new WarmCache({ ...OPTIONS, keepWarmMs: 0 }, () => now);
    const { compute, calls } = counter();
    await cache.get('k', compute);
    now = 1500;
    expect(await cache.get('k', compute)).toBe(1); // stale, refresh started
    await Promise.resolve();
    expect(await cache.get('k', compute)).toBe(2); // the refresh landed
    now = 20_000;
    expect(await cache.get('k', compute)).toBe(3); // past maxStaleMs: waits
    expect(calls()).toBe(3);
    cache.close();
  });

  it('keeps a value warm in the background only while it is read', async () => {
    vi.useFakeTimers();
    let now = 0;
    const cache = new WarmCache(OPTIONS, () => now);
    const { compute, calls } = counter();
    await cache.get('k', compute);
    for (let step = 1; step <= 5; step += 1) {
      now = step * 1000;
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(calls()).toBe(6);
    expect(await cache.get('k', compute)).toBe(6); // fresh, no wait
    now = 60_000;
    await vi.advanceTimersByTimeAsync(40_000);
    const settled = calls();
    now = 70_000;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls()).toBe(settled); // nobody read it for keepWarmMs: no more refreshes
    cache.close();
  });

  it('after invalidation the next reader waits for a new value, and a value computed across it is not kept', async () => {
    let now = 0;
    const cache = new WarmCache({ ...OPTIONS, keepWarmMs: 0 }, () => now);
    let release: (() => void) | undefined;
    let calls = 0;
    const slow = (): Promise<number> =>
      new Promise((resolve) => {
        calls += 1;
        const answer = calls;
        release = () => resolve(answer);
      });
    const first = cache.get('k', slow);
    cache.invalidate();
    release?.();
    expect(await first).toBe(1);
    const second = cache.get('k', slow);
    release?.();
    expect(await second).toBe(2);
    now = 10;
    expect(await cache.get('k', slow)).toBe(2);
    cache.close();
  });

  it('drops the least recently read key past its bound', async () => {
    let now = 0;
    const cache = new WarmCache({ ...OPTIONS, keepWarmMs: 0, maxKeys: 2 }, () => now);
    const a = counter();
    await cache.get('a', a.compute);
    now = 1;
    await cache.get('b', async () => 0);
    now = 2;
    await cache.get('c', async () => 0);
    now = 3;
    await cache.get('a', a.compute);
    expect(a.calls()).toBe(2);
    cache.close();
  });
});
