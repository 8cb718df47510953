/**
 * Server-Sent Events encoding of a Responses stream: one record per event,
 * `event: <type>\ndata: <compact json>\n\n`, UTF-8, no `[DONE]` (responses-protocol.md §2.1).
 */
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';

export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';

export function encodeSseEvent(event: ResponseStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * A byte stream of SSE records from an async iterable of events. Pull-based, so a slow reader slows
 * the producer (back-pressure); cancelling the stream calls `onCancel` and closes the iterator.
 * Events that are ready together are sent as one chunk.
 */
export function sseStream(
  events: AsyncIterable<ResponseStreamEvent[]>,
  onCancel: (reason: unknown) => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = events[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done) {
              controller.close();
              return;
            }
            if (next.value.length === 0) continue;
            let text = '';
            for (const ev of next.value) text += encodeSseEvent(ev);
            controller.enqueue(encoder.encode(text));
            return;
          }
        } catch (err) {
          controller.error(err);
        }
      },
      async cancel(reason) {
        onCancel(reason);
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
