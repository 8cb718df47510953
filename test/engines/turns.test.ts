import { describe, expect, it } from 'vitest';
import { Turns } from '../../src/engines/turns.ts';

const live = () => new AbortController().signal;

describe('Turns (the one-generation-at-a-time queue both engines use)', () => {
  it('serves in arrival order; a request aborted while waiting leaves at once and the ones behind still wait', async () => {
    const turns = new Turns();
    const order: string[] = [];
    const releaseA = await turns.take(live());
    expect(releaseA).not.toBeNull();
    const controller = new AbortController();
    const b = turns.take(controller.signal).then((r) => (order.push('b'), r));
    const c = turns.take(live()).then((r) => (order.push('c'), r));
    controller.abort();
    expect(await b).toBeNull(); // left before a ended
    await Promise.resolve();
    expect(order).toEqual(['b']); // c still waits for a
    releaseA!();
    const releaseC = await c;
    expect(releaseC).not.toBeNull();
    expect(order).toEqual(['b', 'c']);
    let idle = false;
    const done = turns.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    releaseC!();
    await done;
    expect(idle).toBe(true);
  });

  it('an already-aborted request gets no turn, even with nothing in front', async () => {
    const turns = new Turns();
    const controller = new AbortController();
    controller.abort();
    expect(await turns.take(controller.signal)).toBeNull();
    const next = await turns.take(live()); // the queue is not stuck behind it
    expect(next).not.toBeNull();
  });
});
