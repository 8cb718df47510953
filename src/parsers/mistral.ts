/**
 * The `mistral` tool-call format, both syntaxes:
 *
 *     [TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": …}]   (tokenizers before v11)
 *     [TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[ARGS]{}        (v11+)
 *     [TOOL_CALLS]get_weather[CALL_ID]a1b2c3d4e[ARGS]{"city": "Paris"}                   (v11+ with call ids)
 *
 * Which one a block is, is decided by what follows `[TOOL_CALLS]`: `[` opens the JSON list, a name
 * character a v11 call (one call per `[TOOL_CALLS]`, as mistral-common encodes them; the call id is
 * skipped). A v11 call starts at `[ARGS]` and its arguments stream as they arrive; the value may also
 * follow the name directly (`get_weather{…}`, what is left when a decoder drops special tokens). Text
 * before and after is text. One configuration of the generic JSON call scanner.
 */
import { JsonCallScanner, type JsonCallScannerConfig } from './scanner.ts';
import type { ToolCallParser, ToolFormatOptions, ToolFormatSpec } from './types.ts';

export const MISTRAL_CONFIG: JsonCallScannerConfig = {
  start: ['[TOOL_CALLS]'],
  list: true,
  bareCall: { argsMarker: '[ARGS]', idMarker: '[CALL_ID]', argsMarkerOptional: true },
};

export function createMistralParser(_opts: ToolFormatOptions = {}): ToolCallParser {
  return new JsonCallScanner(MISTRAL_CONFIG);
}

/** Mistral models with tokenizers before v11 (Mistral-7B-Instruct-v0.3, Mixtral 8x22B, Nemo, …). */
export const MISTRAL_FORMAT: ToolFormatSpec = {
  name: 'mistral',
  create: createMistralParser,
  requiredPrefill: '[TOOL_CALLS]',
  namedPrefill: (name) => `[TOOL_CALLS][{"name": ${JSON.stringify(name)}, "arguments": `,
  templateMarkers: [['[TOOL_CALLS]']],
};

/**
 * Mistral models with v11+ tokenizers (Mistral Small 3.1/3.2, Magistral, Devstral, Ministral 3, …): the
 * same parser (it reads both syntaxes); the named prefill is the v11 one. Register before `mistral`.
 */
export const MISTRAL_V11_FORMAT: ToolFormatSpec = {
  name: 'mistral_v11',
  create: createMistralParser,
  requiredPrefill: '[TOOL_CALLS]',
  namedPrefill: (name) => `[TOOL_CALLS]${name}[ARGS]`,
  templateMarkers: [['[TOOL_CALLS]', '[ARGS]']],
};
