/**
 * The stream tracker the runtime's worker guard and the service worker's host guard use to end a
 * stream whose source died: fed a real service stream cut at any byte, in any chunking, its
 * `error` + `response.failed` continue the sequence numbers without a gap.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createResponsesService, scriptedEngine } from '../../src/index.ts';
import { streamTracker } from '../../src/browser/stream-tracker.ts';
import { validateSseFraming } from '../helpers/sse.ts';

// Text that looks like a sequence number inside a string value must not fool the tracker.
const OUTPUT = 'He wrote {"sequence_number":999} and "sequence_number":7 twice. <tool_call>\n{"name": "f", "arguments": {"x": "\\"sequence_number\\":5"}}\n</tool_call>';

async function sseBytes(): Promise<Uint8Array> {
  const service = createResponsesService({ engine: scriptedEngine({ model: 'm', output: OUTPUT }) });
  const res = await service.fetch('http://localhost/v1/responses', {
    method: 'POST',
    body: JSON.stringify({ model: 'm', input: 'hi', stream: true, tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: {} } }] }),
  });
  return new Uint8Array(await res.arrayBuffer());
}

describe('streamTracker', () => {
  test('property: cut anywhere before the terminal event, the ending continues the sequence and names the response', async () => {
    const bytes = await sseBytes();
    const text = new TextDecoder().decode(bytes);
    const terminalAt = new TextEncoder().encode(text.slice(0, text.lastIndexOf('event: response.completed'))).length;
    await fc.assert(
      fc.property(fc.integer({ min: 1, max: terminalAt }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), (cut, sizes) => {
        const tracker = streamTracker();
        for (let i = 0, k = 0; i < cut; k++) {
          const n = Math.min(sizes[k % sizes.length], cut - i);
          tracker.feed(bytes.subarray(i, i + n));
          i += n;
        }
        expect(tracker.ended).toBe(false);
        // The bytes up to the last whole event, then the tracker's ending.
        const fed = new TextDecoder().decode(bytes.subarray(0, cut));
        const endAt = fed.lastIndexOf('\n\n');
        const whole = endAt < 0 ? '' : fed.slice(0, endAt + 2);
        const events = validateSseFraming(whole + new TextDecoder().decode(tracker.fail('host_lost', 'gone')));
        expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
        const last = events.at(-1)!;
        if (events[0].type === 'response.created' && events.length > 2) {
          expect(events.slice(-2).map((e) => e.type)).toEqual(['error', 'response.failed']);
          expect((last as { response: { id: string; status: string } }).response).toMatchObject({ id: (events[0] as { response: { id: string } }).response.id, status: 'failed' });
        } else expect(last.type).toBe('error'); // cut before response.created arrived whole: no response to fail
      }),
      { numRuns: 300 },
    );
  });

  test('after the terminal event the stream counts as ended', async () => {
    const tracker = streamTracker();
    tracker.feed(await sseBytes());
    expect(tracker.ended).toBe(true);
  });
});
