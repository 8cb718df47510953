/**
 * The scripted engine's stop strings (sampling.stop): it emits each token as it comes and ends the
 * generation at the first stop string, which may span tokens; text of the token that completes it stops
 * before it (text already emitted stays emitted, like a real streaming engine without hold-back).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scriptedEngine } from '../../src/engines/scripted.ts';
import type { EngineEvent } from '../../src/engines/types.ts';

async function run(tokens: string[], stop: string[]): Promise<{ text: string; reason: string; outputTokens: number }> {
  const engine = scriptedEngine({ output: tokens });
  let text = '';
  let reason = '';
  let outputTokens = -1;
  const events: AsyncIterable<EngineEvent> = engine.generate({
    model: 'scripted',
    prompt: 'p',
    sampling: { temperature: 0, topP: 1, maxTokens: null, stop },
    signal: new AbortController().signal,
  });
  for await (const e of events) {
    if (e.type === 'chunk') text += e.text;
    else {
      reason = e.reason;
      outputTokens = e.outputTokens;
    }
  }
  return { text, reason, outputTokens };
}

/** What the engine must emit for one stop string, computed from the whole output at once. */
function expected(tokens: string[], stop: string): { text: string; reason: string; outputTokens: number } {
  const all = tokens.join('');
  const at = all.indexOf(stop);
  if (at < 0) return { text: all, reason: 'stop', outputTokens: tokens.length };
  // The token in which the stop string's last character arrives ends the generation.
  let start = 0;
  let k = 0;
  while (start + tokens[k].length < at + stop.length) start += tokens[k++].length;
  return { text: all.slice(0, Math.max(at, start)), reason: 'stop', outputTokens: k + 1 };
}

describe('scriptedEngine stop strings', () => {
  it('ends at the token that completes a stop string, cut before the stop string within that token', async () => {
    // Spread over three tokens: ' wo' and 'rl' were out before 'd!' completed it.
    expect(await run(['Hello', ' wo', 'rl', 'd!', ' more'], ['world'])).toEqual({ text: 'Hello worl', reason: 'stop', outputTokens: 4 });
    // Inside one token.
    expect(await run(['Hello', ' world', '. Bye', ' now'], ['. B'])).toEqual({ text: 'Hello world', reason: 'stop', outputTokens: 3 });
  });

  it('matches a reference computed on the whole output, for any tokens and stop string', async () => {
    const token = fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' '), minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(token, { minLength: 1, maxLength: 40 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' '), minLength: 1, maxLength: 6 }),
        async (tokens, stop) => {
          expect(await run(tokens, [stop])).toEqual(expected(tokens, stop));
        },
      ),
      { numRuns: 300 },
    );
  });
});
