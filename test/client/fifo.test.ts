import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/client/fifo.js';

describe('Fifo', () => {
  it('behaves as an array used as a queue, under any mix of operations', () => {
    const operation = fc.oneof(
      fc.record({ op: fc.constant('push' as const), value: fc.integer() }),
      fc.record({ op: fc.constant('unshift' as const), value: fc.integer() }),
      fc.record({ op: fc.constant('shift' as const) }),
      fc.record({ op: fc.constant('remove' as const), value: fc.integer({ min: -5, max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        for (const o of operations) {
          if (o.op === 'push') {
            fifo.push(o.value);
            model.push(o.value);
          } else if (o.op === 'unshift') {
            fifo.unshift(o.value);
            model.unshift(o.value);
          } else if (o.op === 'shift') expect(fifo.shift()).toBe(model.shift());
          else {
            const at = model.indexOf(o.value);
            if (at >= 0) model.splice(at, 1);
            expect(fifo.remove(o.value)).toBe(at >= 0);
          }
          expect(fifo.length).toBe(model.length);
        }
      }),
    );
  });
});
