/**
 * Follows a Responses SSE stream as it passes through (the response object, the next sequence
 * number, whether a terminal event came), so that a relay can end it properly with `error` +
 * `response.failed` when its source dies (a crashed worker, a closed host tab).
 */
import { createParser } from 'eventsource-parser';

export interface StreamTracker {
  /** A terminal event passed, or `fail` ended the stream. */
  readonly ended: boolean;
  feed(bytes: Uint8Array): void;
  /** The SSE bytes of `error` + `response.failed` (the latter when the response object is known). */
  fail(code: string, message: string): Uint8Array;
}

const SEQUENCE = /"sequence_number":(\d+)/;
const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);
/** The events whose data carries the response object. */
const WITH_RESPONSE = new Set(['response.created', 'response.queued', 'response.in_progress', ...TERMINAL]);

/** Follows an SSE Responses stream so that it can be ended with `error` + `response.failed`. */
export function streamTracker(): StreamTracker {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let response: Record<string, unknown> | null = null;
  let seq = 0;
  let ended = false;
  const parser = createParser({
    onEvent(ev) {
      // Per event (per token): only the events that carry the response object are parsed whole; for
      // the others the sequence number is read off the JSON text (the writer puts it right after
      // `type`, and a quote inside a string value is escaped, so it cannot be matched there).
      if (ev.event && !WITH_RESPONSE.has(ev.event)) {
        const m = SEQUENCE.exec(ev.data);
        if (m) {
          seq = Number(m[1]) + 1;
          return;
        }
      }
      const data = JSON.parse(ev.data) as { type: string; sequence_number: number; response?: Record<string, unknown> };
      seq = data.sequence_number + 1;
      if (data.response) response = data.response;
      if (TERMINAL.has(data.type)) ended = true;
    },
  });
  const record = (ev: Record<string, unknown>) => `event: ${String(ev.type)}\ndata: ${JSON.stringify(ev)}\n\n`;
  return {
    get ended() {
      return ended;
    },
    feed(bytes: Uint8Array) {
      parser.feed(decoder.decode(bytes, { stream: true }));
    },
    fail(code: string, message: string): Uint8Array {
      ended = true;
      let text = record({ type: 'error', sequence_number: seq++, error: { code, message, param: null } });
      if (response) text += record({ type: 'response.failed', sequence_number: seq++, response: { ...response, status: 'failed', error: { code, message } } });
      return encoder.encode(text);
    },
  };
}
