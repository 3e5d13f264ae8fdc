import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingWindow } from '../../src/client/rate-limit.js';

/** Starts at the times asked for, each as soon as the window allows: the times they started. */
function startsOf(window: SlidingWindow, asked: number[]): number[] {
  const started: number[] = [];
  for (const at of asked) {
    const from = Math.max(at, started.at(-1) ?? 0);
    const now = from + window.delay(from);
    expect(window.delay(now)).toBe(0);
    window.record(now);
    started.push(now);
  }
  return started;
}

describe('SlidingWindow', () => {
  it('lets `messages` start at once, then the next when the oldest leaves the window', () => {
    const window = new SlidingWindow({ messages: 3, interval: 1000 });
    expect(startsOf(window, [0, 0, 0, 0, 0, 0, 0])).toEqual([0, 0, 0, 1000, 1000, 1000, 2000]);
  });

  it('a burst after a pause waits for the starts before the pause, not for a window on the clock', () => {
    const window = new SlidingWindow({ messages: 4, interval: 300 });
    expect(startsOf(window, [0, 200, 200, 200, 200, 200, 200, 200, 200])).toEqual([
      0, 200, 200, 200, 300, 500, 500, 500, 600,
    ]);
  });

  it('no span of `interval` holds more than `messages` starts, whatever the times asked', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 60 }),
        (messages, interval, times) => {
          const started = startsOf(
            new SlidingWindow({ messages, interval }),
            times.sort((a, b) => a - b),
          );
          for (let i = 0; i + messages < started.length; i++) {
            expect((started[i + messages] as number) - (started[i] as number)).toBeGreaterThanOrEqual(
              interval,
            );
          }
        },
      ),
    );
  });

  it('refuses a limit that is not one', () => {
    expect(() => new SlidingWindow({ messages: 0, interval: 100 })).toThrow(RangeError);
    expect(() => new SlidingWindow({ messages: 1.5, interval: 100 })).toThrow(RangeError);
    expect(() => new SlidingWindow({ messages: 1, interval: 0 })).toThrow(RangeError);
    expect(() => new SlidingWindow({ messages: 1, interval: Number.NaN })).toThrow(RangeError);
  });
});
