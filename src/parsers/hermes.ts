/**
 * The `hermes` tool-call format (Hermes 2 Pro/3, Qwen2.5, QwQ, Qwen3):
 *
 *     <tool_call>
 *     {"name": "get_weather", "arguments": {"city": "Paris"}}
 *     </tool_call>
 *
 * repeated for parallel calls, with text allowed before, between and after. One configuration of the
 * generic JSON call scanner.
 */
import { JsonCallScanner, type JsonCallScannerConfig } from './scanner.ts';
import type { ToolCallParser, ToolFormatOptions, ToolFormatSpec } from './types.ts';

export const HERMES_CONFIG: JsonCallScannerConfig = {
  start: ['<tool_call>'],
  end: '</tool_call>',
};

export function createHermesParser(_opts: ToolFormatOptions = {}): ToolCallParser {
  return new JsonCallScanner(HERMES_CONFIG);
}

export const HERMES_FORMAT: ToolFormatSpec = {
  name: 'hermes',
  create: createHermesParser,
  requiredPrefill: '<tool_call>\n{"name": "',
  namedPrefill: (name) => `<tool_call>\n{"name": ${JSON.stringify(name)}, "arguments": `,
  templateMarkers: [['<tool_call>']],
};
