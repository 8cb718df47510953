/**
 * The `llama3_json` tool-call format (Llama 3.1 / 3.2 / 3.3 with JSON tool calling):
 *
 *     {"name": "get_weather", "parameters": {"city": "Paris"}}
 *     <|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}; {"name": "get_time", "parameters": {}}
 *
 * An optional `<|python_tag|>`, then call objects (`"parameters"` or `"arguments"`) separated by `; `.
 * Without the tag (the common case for Llama 3.2), a bare `{` opens calls only at the very start of
 * the output or right after a call; a `{` later in prose is text, and a JSON object that turns out to
 * have no name is released as text. One configuration of the generic JSON call scanner.
 */
import { JsonCallScanner, type JsonCallScannerConfig } from './scanner.ts';
import type { ToolCallParser, ToolFormatOptions, ToolFormatSpec } from './types.ts';

export const LLAMA3_JSON_CONFIG: JsonCallScannerConfig = {
  start: ['<|python_tag|>'],
  bareStart: true,
  separator: ';',
};

export function createLlama3JsonParser(_opts: ToolFormatOptions = {}): ToolCallParser {
  return new JsonCallScanner(LLAMA3_JSON_CONFIG);
}

export const LLAMA3_JSON_FORMAT: ToolFormatSpec = {
  name: 'llama3_json',
  create: createLlama3JsonParser,
  requiredPrefill: '{"name": "',
  namedPrefill: (name) => `{"name": ${JSON.stringify(name)}, "parameters": `,
  // Llama 3.x header tokens (Llama 4 uses <|header_start|>) plus the JSON tool-calling instruction of the
  // official 3.1/3.2/3.3 and vLLM templates, or the <|python_tag|> of the 3.1/3.3 templates.
  templateMarkers: [
    ['<|start_header_id|>', '"parameters": dictionary of argument name and its value'],
    ['<|start_header_id|>', '<|python_tag|>'],
  ],
};
