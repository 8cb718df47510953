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
 * A byte stream of SSE records from an async iterable of event batches. Pull-based, so a slow reader
 * slows the producer (back-pressure). Cancelling the stream calls `onCancel` and closes the
 * iterator; so does `signal` aborting, which also errors the stream, whether or not anyone is reading
 * (so the generation behind it is released even when the client stopped pulling).
 */
export function sseStream(
  events: AsyncIterable<ResponseStreamEvent[]>,
  onCancel: (reason: unknown) => void,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = events[Symbol.asyncIterator]();
  let closed = false;
  const close = async (reason: unknown) => {
    if (closed) return;
    closed = true;
    onCancel(reason);
    await iterator.return?.();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        signal?.addEventListener(
          'abort',
          () => {
            if (closed) return;
            try {
              controller.error(signal.reason);
            } catch {
              // already closed or errored
            }
            void close(signal.reason).catch(() => {});
          },
          { once: true },
        );
      },
      async pull(controller) {
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done) {
              closed = true;
              controller.close();
              return;
            }
            if (closed) return;
            if (next.value.length === 0) continue;
            let text = '';
            for (const ev of next.value) text += encodeSseEvent(ev);
            controller.enqueue(encoder.encode(text));
            return;
          }
        } catch (err) {
          closed = true;
          try {
            controller.error(err);
          } catch {
            // the stream was already errored by an abort
          }
        }
      },
      cancel(reason) {
        return close(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
