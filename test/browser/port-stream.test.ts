/**
 * port-stream: a byte stream over a MessagePort with credit-based back-pressure (Node has the same
 * MessageChannel and ReadableStream as browsers).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { portToStream, streamToPort } from '../../src/browser/port-stream.ts';

function source(chunks: Uint8Array[], log: { pulled: number; cancelled: unknown }, fail?: Error) {
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (i < chunks.length) {
          log.pulled++;
          controller.enqueue(chunks[i++]);
        } else if (fail) controller.error(fail);
        else controller.close();
      },
      cancel(reason) {
        log.cancelled = reason;
      },
    },
    { highWaterMark: 0 },
  );
}

async function readAll(stream: ReadableStream<Uint8Array>, onChunk?: () => Promise<void>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
    await onChunk?.();
  }
}

const newLog = () => ({ pulled: 0, cancelled: undefined as unknown });

describe('port-stream', () => {
  test('property: every byte arrives, in order, unchanged, whatever the sizes, the window and the reader pace', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (chunks, window, slow) => {
          const pace = slow ? () => new Promise<void>((r) => setTimeout(r, 0)) : undefined;
          const got = await readAll(portToStream(streamToPort(source(chunks, newLog())), window), pace);
          expect(got.flatMap((c) => [...c])).toEqual(chunks.flatMap((c) => [...c]));
          if (!slow) expect(got.length).toBeLessThanOrEqual(chunks.length); // coalesced, never split
        },
      ),
      { numRuns: 60 },
    );
  });

  test('a reader that fell behind gets the chunks that arrived meanwhile as one', async () => {
    const chunks = Array.from({ length: 6 }, (_, i) => new Uint8Array([i]));
    const reader = portToStream(streamToPort(source(chunks, newLog())), 4).getReader();
    await new Promise((r) => setTimeout(r, 30)); // four chunks arrive while nobody reads
    expect([...(await reader.read()).value!]).toEqual([0, 1, 2, 3]);
    const rest: number[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(...r.value);
    expect(rest).toEqual([4, 5]);
  });

  test('back-pressure: the sender stays at most `window` chunks ahead of a reader that stopped', async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => new Uint8Array([i]));
    const log = newLog();
    const reader = portToStream(streamToPort(source(chunks, log)), 3).getReader();
    await reader.read();
    await reader.read();
    await new Promise((r) => setTimeout(r, 50));
    expect(log.pulled).toBeGreaterThanOrEqual(2);
    expect(log.pulled).toBeLessThanOrEqual(2 + 3);
  });

  test('cancelling the reader cancels the source (generation stops), with the reason', async () => {
    const log = newLog();
    const chunks = Array.from({ length: 20 }, (_, i) => new Uint8Array([i]));
    const reader = portToStream(streamToPort(source(chunks, log)), 2).getReader();
    await reader.read();
    await reader.cancel('client went away');
    await new Promise((r) => setTimeout(r, 20));
    expect(log.cancelled).toBe('client went away');
    expect(log.pulled).toBeLessThan(20);
  });

  test('onFinish runs once, and only after the sender sent the end, the error, or saw the cancel', async () => {
    const ends = ['done', 'error', 'cancel'] as const;
    for (const how of ends) {
      let finished = 0;
      const chunks = Array.from({ length: 5 }, (_, i) => new Uint8Array([i]));
      const src = source(chunks, newLog(), how === 'error' ? new Error('engine failed') : undefined);
      const reader = portToStream(streamToPort(src, () => finished++), 2).getReader();
      await reader.read();
      await new Promise((r) => setTimeout(r, 10));
      expect(finished, how).toBe(0); // still sending: the reader holds the rest back
      if (how === 'cancel') await reader.cancel('client went away');
      else {
        try {
          while (!(await reader.read()).done);
        } catch {
          // the source's error, after its chunks
        }
      }
      await new Promise((r) => setTimeout(r, 10));
      expect(finished, how).toBe(1);
    }
  });

  test('an error in the source errors the reader after the chunks before it', async () => {
    const reader = portToStream(streamToPort(source([new Uint8Array([7])], newLog(), new Error('engine failed')))).getReader();
    expect([...(await reader.read()).value!]).toEqual([7]);
    await expect(reader.read()).rejects.toThrow('engine failed');
  });
});
