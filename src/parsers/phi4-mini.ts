/**
 * The `phi4_mini_json` tool-call format (Phi-4-mini-instruct, Phi-4-multimodal-instruct):
 *
 *     functools[{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_time", "arguments": {}}]
 *
 * `functools` then a JSON list of call objects; no closing marker. Text before and after is text. One
 * configuration of the generic JSON call scanner.
 */
import { JsonCallScanner, type JsonCallScannerConfig } from './scanner.ts';
import type { ToolCallParser, ToolFormatOptions, ToolFormatSpec } from './types.ts';

export const PHI4_MINI_JSON_CONFIG: JsonCallScannerConfig = {
  start: ['functools'],
  list: true,
};

export function createPhi4MiniJsonParser(_opts: ToolFormatOptions = {}): ToolCallParser {
  return new JsonCallScanner(PHI4_MINI_JSON_CONFIG);
}

export const PHI4_MINI_JSON_FORMAT: ToolFormatSpec = {
  name: 'phi4_mini_json',
  create: createPhi4MiniJsonParser,
  requiredPrefill: 'functools[{"name": "',
  namedPrefill: (name) => `functools[{"name": ${JSON.stringify(name)}, "arguments": `,
  // The official template puts the tools between <|tool|> and <|/tool|> in the system message; vLLM's
  // example template spells the format out instead.
  templateMarkers: [['<|tool|>', '<|/tool|>'], ['functools[']],
};
