/** The response object and usage the writer tests start from. */
import type { WireResponse } from '../../src/events/writer.ts';

export const INITIAL = {
  id: 'resp_test',
  object: 'response',
  created_at: 0,
  status: 'in_progress',
  output: [],
  model: 'test',
  tools: [],
  tool_choice: 'auto',
} as unknown as WireResponse;

export const USAGE = { inputTokens: 1, outputTokens: 1 };
