import { describe, expect, it } from 'vitest';
import { ResponsesError } from '../../src/protocol/errors.ts';
import { formatParam, parseCreateRequest, type CreateRequest } from '../../src/protocol/request.ts';

/** Parse and return the thrown ResponsesError (fails the test if nothing or something else is thrown). */
function rejects(body: unknown): ResponsesError {
  try {
    parseCreateRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(ResponsesError);
    return err as ResponsesError;
  }
  throw new Error(`expected a 400 for ${JSON.stringify(body)}`);
}

/** Assert a 400 with this param whose message names the param (plus any extra fragments). */
function expect400(body: unknown, param: string, ...fragments: string[]): ResponsesError {
  const err = rejects(body);
  expect(err.status).toBe(400);
  expect(err.type).toBe('invalid_request_error');
  expect(err.param).toBe(param);
  expect(err.message).toContain(`'${param}'`);
  for (const f of fragments) expect(err.message).toContain(f);
  expect(err.toJSON().error.param).toBe(param);
  return err;
}

const weatherTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Get current weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: true,
};

describe('formatParam', () => {
  it('puts indices in brackets and joins keys with dots', () => {
    expect(formatParam(['input', 1, 'call_id'])).toBe('input[1].call_id');
    expect(formatParam(['tool_choice', 'tools', 0, 'name'])).toBe('tool_choice.tools[0].name');
    expect(formatParam(['temperature'])).toBe('temperature');
  });
});

describe('parseCreateRequest: defaults and normalization', () => {
  it('fills OpenAI defaults for a minimal body', () => {
    const req = parseCreateRequest({ input: 'Hello' });
    expect(req).toEqual<CreateRequest>({
      model: null,
      input: [{ type: 'message', role: 'user', content: 'Hello' }],
      instructions: null,
      stream: false,
      stream_options: null,
      temperature: 1,
      top_p: 1,
      max_output_tokens: null,
      max_tool_calls: null,
      parallel_tool_calls: true,
      store: true,
      metadata: {},
      user: null,
      safety_identifier: null,
      prompt_cache_key: null,
      service_tier: null,
      truncation: 'disabled',
      reasoning: null,
      text: { format: { type: 'text' } },
      include: [],
      top_logprobs: 0,
      tools: [],
      tool_choice: 'auto',
    });
  });

  it('treats explicit nulls like absent fields', () => {
    const req = parseCreateRequest({
      input: 'hi',
      model: null,
      instructions: null,
      stream: null,
      stream_options: null,
      temperature: null,
      top_p: null,
      max_output_tokens: null,
      max_tool_calls: null,
      parallel_tool_calls: null,
      store: null,
      metadata: null,
      user: null,
      safety_identifier: null,
      prompt_cache_key: null,
      service_tier: null,
      truncation: null,
      reasoning: null,
      text: null,
      include: null,
      top_logprobs: null,
      tools: null,
      tool_choice: null,
      background: null,
      previous_response_id: null,
      conversation: null,
      prompt: null,
    });
    expect(req).toEqual(parseCreateRequest({ input: 'hi' }));
  });

  it('keeps the values a client sets', () => {
    const req = parseCreateRequest({
      model: 'qwen3-0.6b',
      input: 'hi',
      instructions: 'Be terse.',
      stream: true,
      stream_options: { include_obfuscation: false },
      temperature: 0.2,
      top_p: 0.9,
      max_output_tokens: 64,
      max_tool_calls: 3,
      parallel_tool_calls: false,
      store: false,
      metadata: { trace: 'abc' },
      user: 'u1',
      safety_identifier: 's1',
      prompt_cache_key: 'k1',
      service_tier: 'auto',
      truncation: 'disabled',
      reasoning: { effort: 'low', summary: 'auto' },
      text: { format: { type: 'text' }, verbosity: 'low' },
      include: ['reasoning.encrypted_content'],
      top_logprobs: 0,
      background: false,
    });
    expect(req).toMatchObject({
      model: 'qwen3-0.6b',
      instructions: 'Be terse.',
      stream: true,
      stream_options: { include_obfuscation: false },
      temperature: 0.2,
      top_p: 0.9,
      max_output_tokens: 64,
      max_tool_calls: 3,
      parallel_tool_calls: false,
      store: false,
      metadata: { trace: 'abc' },
      user: 'u1',
      safety_identifier: 's1',
      prompt_cache_key: 'k1',
      service_tier: 'auto',
      reasoning: { effort: 'low', summary: 'auto' },
      text: { format: { type: 'text' }, verbosity: 'low' },
      include: ['reasoning.encrypted_content'],
    });
  });

  it('accepts the boundary values of numeric ranges', () => {
    expect(parseCreateRequest({ input: 'x', temperature: 0, top_p: 0 })).toMatchObject({ temperature: 0, top_p: 0 });
    expect(parseCreateRequest({ input: 'x', temperature: 2, top_p: 1 })).toMatchObject({ temperature: 2, top_p: 1 });
    expect(parseCreateRequest({ input: 'x', max_output_tokens: 1 }).max_output_tokens).toBe(1);
  });

  it('maps the deprecated reasoning.generate_summary to summary', () => {
    const req = parseCreateRequest({ input: 'x', reasoning: { generate_summary: 'concise' } });
    expect(req.reasoning).toEqual({ effort: null, summary: 'concise' });
  });

  it('normalizes function tools (strict defaults to false)', () => {
    const req = parseCreateRequest({
      input: 'x',
      tools: [weatherTool, { type: 'function', name: 'no_args', defer_loading: false }],
    });
    expect(req.tools).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'Get current weather',
        parameters: weatherTool.parameters,
        strict: true,
      },
      { type: 'function', name: 'no_args', description: null, parameters: null, strict: false },
    ]);
  });

  it('accepts every tool_choice form', () => {
    const base = { input: 'x', tools: [weatherTool, { type: 'function', name: 'other' }] };
    expect(parseCreateRequest({ ...base, tool_choice: 'none' }).tool_choice).toBe('none');
    expect(parseCreateRequest({ ...base, tool_choice: 'auto' }).tool_choice).toBe('auto');
    expect(parseCreateRequest({ ...base, tool_choice: 'required' }).tool_choice).toBe('required');
    expect(parseCreateRequest({ ...base, tool_choice: { type: 'function', name: 'get_weather' } }).tool_choice).toEqual(
      { type: 'function', name: 'get_weather' },
    );
    expect(
      parseCreateRequest({
        ...base,
        tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'other' }] },
      }).tool_choice,
    ).toEqual({ type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'other' }] });
    // 'none' and 'auto' are fine without tools.
    expect(parseCreateRequest({ input: 'x', tool_choice: 'none' }).tool_choice).toBe('none');
  });
});

describe('parseCreateRequest: input items', () => {
  it('accepts every item shape, with extra keys and arbitrary ids', () => {
    const req = parseCreateRequest({
      input: [
        { role: 'developer', content: 'Be terse.' },
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'System.' }] },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is the ' },
            { type: 'input_text', text: 'weather?' },
          ],
        },
        {
          type: 'message',
          role: 'assistant',
          id: 'msg_abc',
          status: 'completed',
          phase: 'final_answer',
          content: [
            { type: 'output_text', text: 'Checking.', annotations: [], logprobs: [] },
            { type: 'refusal', refusal: ' No.' },
          ],
        },
        {
          type: 'reasoning',
          id: 'rs_1',
          summary: [{ type: 'summary_text', text: 'Need weather.' }],
          content: [{ type: 'reasoning_text', text: 'Call the tool.' }],
          encrypted_content: null,
        },
        { type: 'reasoning', summary: [] },
        {
          type: 'function_call',
          id: 'fc_abc',
          call_id: 'call_123',
          name: 'get_weather',
          arguments: '{"city":"Paris"}',
          status: 'completed',
          parsed_arguments: { city: 'Paris' },
        },
        // An id with the "wrong" prefix and an arbitrary call_id are accepted.
        { type: 'function_call', id: 'call_456', call_id: 'anything-goes', name: 'get_weather', arguments: '' },
        { type: 'function_call', id: 'whatever', call_id: 'fc_789', name: 'get_weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_123', output: '{"temp_c":21}', status: 'completed' },
        {
          type: 'function_call_output',
          id: 'fco_1',
          call_id: 'anything-goes',
          output: [
            { type: 'input_text', text: 'part 1, ' },
            { type: 'input_text', text: 'part 2' },
          ],
        },
        // An output whose call is not in the input (history trimmed by the client) is accepted.
        { type: 'function_call_output', call_id: 'call_trimmed', output: 'ok' },
      ],
    });
    expect(req.input).toEqual([
      { type: 'message', role: 'developer', content: 'Be terse.' },
      { type: 'message', role: 'system', content: 'System.' },
      { type: 'message', role: 'user', content: 'What is the weather?' },
      { type: 'message', role: 'assistant', content: 'Checking. No.', id: 'msg_abc', status: 'completed' },
      {
        type: 'reasoning',
        id: 'rs_1',
        summary: [{ type: 'summary_text', text: 'Need weather.' }],
        content: [{ type: 'reasoning_text', text: 'Call the tool.' }],
      },
      { type: 'reasoning', summary: [], content: [] },
      {
        type: 'function_call',
        id: 'fc_abc',
        call_id: 'call_123',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
        status: 'completed',
      },
      { type: 'function_call', id: 'call_456', call_id: 'anything-goes', name: 'get_weather', arguments: '' },
      { type: 'function_call', id: 'whatever', call_id: 'fc_789', name: 'get_weather', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_123', output: '{"temp_c":21}', status: 'completed' },
      { type: 'function_call_output', id: 'fco_1', call_id: 'anything-goes', output: 'part 1, part 2' },
      { type: 'function_call_output', call_id: 'call_trimmed', output: 'ok' },
    ]);
  });

  it('turns a string input into one user message', () => {
    expect(parseCreateRequest({ input: 'Hi there' }).input).toEqual([
      { type: 'message', role: 'user', content: 'Hi there' },
    ]);
  });

  it('drops null id and status', () => {
    const req = parseCreateRequest({ input: [{ role: 'user', content: 'x', id: null, status: null }] });
    expect(req.input).toEqual([{ type: 'message', role: 'user', content: 'x' }]);
  });
});

describe('parseCreateRequest: errors on the body', () => {
  it('rejects a missing input', () => {
    const err = expect400({ model: 'm' }, 'input');
    expect(err.message).toBe("Missing required parameter: 'input'.");
    expect(err.code).toBe('missing_required_parameter');
  });

  it('rejects an empty input array and a non-string, non-array input', () => {
    expect400({ input: [] }, 'input', 'at least one input item');
    expect400({ input: 42 }, 'input', 'expected a string or an array', 'got 42');
  });

  it('rejects a body that is not an object', () => {
    for (const body of [null, [], 'input', 3]) {
      const err = rejects(body);
      expect(err.status).toBe(400);
      expect(err.message).toContain('JSON object');
    }
  });

  it('rejects an unknown top-level field', () => {
    const err = expect400({ input: 'x', foo: 1 }, 'foo');
    expect(err.message).toBe("Unknown parameter: 'foo'.");
    expect(err.code).toBe('unknown_parameter');
    // vLLM-only extras are unknown here too.
    expect400({ input: 'x', top_k: 5 }, 'top_k', 'Unknown parameter');
  });

  it('rejects unknown keys inside reasoning, text and stream_options', () => {
    expect400({ input: 'x', text: { format: { type: 'text' }, foo: 1 } }, 'text.foo', 'Unknown parameter');
    expect400({ input: 'x', reasoning: { effort: 'low', level: 2 } }, 'reasoning.level', 'Unknown parameter');
    expect400({ input: 'x', stream_options: { include_usage: true } }, 'stream_options.include_usage');
  });

  it('rejects a bad temperature', () => {
    const err = expect400({ input: 'x', temperature: 3 }, 'temperature');
    expect(err.message).toBe("Invalid value for 'temperature': expected a number between 0 and 2, got 3.");
    expect400({ input: 'x', temperature: -0.1 }, 'temperature', 'between 0 and 2', 'got -0.1');
    expect400({ input: 'x', temperature: 'hot' }, 'temperature', 'between 0 and 2', 'got "hot"');
  });

  it('rejects a bad top_p', () => {
    expect400({ input: 'x', top_p: 1.5 }, 'top_p', 'between 0 and 1', 'got 1.5');
    expect400({ input: 'x', top_p: -1 }, 'top_p', 'between 0 and 1');
  });

  it('rejects a bad max_output_tokens', () => {
    expect400({ input: 'x', max_output_tokens: 0 }, 'max_output_tokens', 'integer of at least 1', 'got 0');
    expect400({ input: 'x', max_output_tokens: 10.5 }, 'max_output_tokens', 'integer', 'got 10.5');
    expect400({ input: 'x', max_output_tokens: '100' }, 'max_output_tokens', 'integer', 'got "100"');
  });

  it('rejects other bad scalar values', () => {
    expect400({ input: 'x', stream: 'yes' }, 'stream', 'expected a boolean');
    expect400({ input: 'x', model: 7 }, 'model', 'expected a string');
    expect400({ input: 'x', top_logprobs: 21 }, 'top_logprobs', 'between 0 and 20');
    expect400({ input: 'x', truncation: 'sometimes' }, 'truncation', "'auto', 'disabled'");
    expect400({ input: 'x', reasoning: { effort: 'max' } }, 'reasoning.effort', "'xhigh'", 'got "max"');
    expect400({ input: 'x', text: { verbosity: 'loud' } }, 'text.verbosity', "'medium'");
    expect400({ input: 'x', include: 'reasoning.encrypted_content' }, 'include', 'expected an array');
  });

  it('checks metadata limits', () => {
    expect400({ input: 'x', metadata: { a: 1 } }, 'metadata.a', 'expected a string');
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    expect400({ input: 'x', metadata: many }, 'metadata', 'at most 16', 'got 17 pairs');
    expect400({ input: 'x', metadata: { k: 'v'.repeat(513) } }, 'metadata.k', 'at most 512 characters');
    const longKey = 'k'.repeat(65);
    expect400({ input: 'x', metadata: { [longKey]: 'v' } }, `metadata.${longKey}`, 'at most 64 characters');
    expect(parseCreateRequest({ input: 'x', metadata: { ['k'.repeat(64)]: 'v'.repeat(512) } }).metadata).toBeTruthy();
  });
});

describe('parseCreateRequest: documented but unsupported fields', () => {
  it('rejects background: true but accepts false', () => {
    const err = expect400({ input: 'x', background: true }, 'background', 'not');
    expect(err.code).toBe('unsupported_parameter');
    expect(parseCreateRequest({ input: 'x', background: false }).stream).toBe(false);
  });

  it('rejects previous_response_id and says to send the full conversation', () => {
    expect400({ input: 'x', previous_response_id: 'resp_123' }, 'previous_response_id', 'no response store', 'input');
  });

  it('rejects conversation and prompt', () => {
    expect400({ input: 'x', conversation: 'conv_1' }, 'conversation', 'not stored');
    expect400({ input: 'x', conversation: { id: 'conv_1' } }, 'conversation');
    expect400({ input: 'x', prompt: { id: 'pmpt_1' } }, 'prompt', 'not available');
  });

  it("rejects truncation: 'auto'", () => {
    expect400({ input: 'x', truncation: 'auto' }, 'truncation', "'auto'", 'not supported');
  });

  it('rejects json_schema and json_object text formats', () => {
    expect400(
      { input: 'x', text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } } },
      'text.format',
      'json_schema',
      'constrained decoding',
    );
    expect400({ input: 'x', text: { format: { type: 'json_object' } } }, 'text.format', 'json_object');
    expect400({ input: 'x', text: { format: { type: 'xml' } } }, 'text.format.type', 'got "xml"');
  });

  it('accepts only reasoning.encrypted_content in include', () => {
    expect(parseCreateRequest({ input: 'x', include: ['reasoning.encrypted_content'] }).include).toEqual([
      'reasoning.encrypted_content',
    ]);
    expect400(
      { input: 'x', include: ['reasoning.encrypted_content', 'message.output_text.logprobs'] },
      'include[1]',
      'message.output_text.logprobs',
      'not supported',
    );
  });

  it('rejects top_logprobs above 0', () => {
    expect400({ input: 'x', top_logprobs: 5 }, 'top_logprobs', 'not supported', 'got 5');
    expect(parseCreateRequest({ input: 'x', top_logprobs: 0 }).top_logprobs).toBe(0);
  });
});

describe('parseCreateRequest: errors in input items', () => {
  it('reports a missing call_id with its path', () => {
    const err = expect400(
      {
        input: [
          { role: 'user', content: 'x' },
          { type: 'function_call', name: 'get_weather', arguments: '{}' },
        ],
      },
      'input[1].call_id',
    );
    expect(err.message).toBe("Missing required parameter: 'input[1].call_id'.");
  });

  it('reports other missing or empty required keys', () => {
    expect400({ input: [{ type: 'function_call', call_id: '', name: 'f', arguments: '{}' }] }, 'input[0].call_id');
    expect400({ input: [{ type: 'function_call', call_id: 'c', arguments: '{}' }] }, 'input[0].name', 'Missing');
    expect400({ input: [{ type: 'function_call', call_id: 'c', name: 'f' }] }, 'input[0].arguments', 'Missing');
    expect400(
      { input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: { a: 1 } }] },
      'input[0].arguments',
      'expected a string',
    );
    expect400({ input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id', 'Missing');
    expect400({ input: [{ type: 'function_call_output', call_id: 'c' }] }, 'input[0].output', 'Missing');
    expect400({ input: [{ type: 'message', content: 'x' }] }, 'input[0].role', 'Missing');
    expect400({ input: [{ role: 'user' }] }, 'input[0].content', 'Missing');
  });

  it('rejects duplicate function_call call_ids', () => {
    const call = { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' };
    const err = expect400(
      { input: [{ role: 'user', content: 'x' }, call, { type: 'function_call_output', call_id: 'call_1', output: '1' }, call] },
      'input[3].call_id',
      'Duplicate call_id',
      'call_1',
      'input[1]',
    );
    expect(err.status).toBe(400);
  });

  it('rejects an unknown item type and lists the supported ones', () => {
    expect400({ input: [{ type: 'web_search_call', id: 'ws_1' }] }, 'input[0].type', 'web_search_call', "'function_call_output'");
    expect400({ input: [{ content: 'no role or type' }] }, 'input[0].type', 'Missing', "'message'");
    expect400({ input: ['just a string'] }, 'input[0]', 'expected an input item object');
  });

  it('rejects item_reference', () => {
    expect400({ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0].type', 'item_reference', 'store');
  });

  it('rejects a bad role', () => {
    expect400({ input: [{ role: 'tool', content: 'x' }] }, 'input[0].role', "'developer'", 'got "tool"');
  });

  it('rejects image, file and audio parts', () => {
    expect400(
      {
        input: [
          { role: 'user', content: 'x' },
          { role: 'user', content: [{ type: 'input_text', text: 'see' }, { type: 'input_image', image_url: 'https://x' }] },
        ],
      },
      'input[1].content[1].type',
      'image input',
      'not supported',
    );
    expect400({ input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] }, 'input[0].content[0].type', 'file input');
    expect400({ input: [{ role: 'user', content: [{ type: 'input_audio' }] }] }, 'input[0].content[0].type', 'audio input');
    expect400(
      { input: [{ type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image', image_url: 'u' }] }] },
      'input[0].output[0].type',
      'image input',
    );
  });

  it('rejects malformed content parts', () => {
    expect400({ input: [{ role: 'user', content: [{ type: 'input_text' }] }] }, 'input[0].content[0].text', 'Missing');
    expect400({ input: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] }, 'input[0].content[0].type', "'input_text'");
    expect400({ input: [{ role: 'user', content: [{ text: 'x' }] }] }, 'input[0].content[0].type', 'Missing');
    expect400({ input: [{ role: 'user', content: 5 }] }, 'input[0].content', 'string or an array');
  });

  it('rejects encrypted reasoning but accepts empty or null encrypted_content', () => {
    expect400(
      { input: [{ type: 'reasoning', summary: [], encrypted_content: 'gAAAA...' }] },
      'input[0].encrypted_content',
      'encrypted',
    );
    expect(parseCreateRequest({ input: [{ type: 'reasoning', summary: [], encrypted_content: '' }] }).input).toHaveLength(1);
  });

  it('rejects malformed reasoning parts', () => {
    expect400({ input: [{ type: 'reasoning', summary: [{ type: 'reasoning_text', text: 'x' }] }] }, 'input[0].summary[0].type', "'summary_text'");
  });
});

describe('parseCreateRequest: tools and tool_choice errors', () => {
  it('rejects hosted tools', () => {
    for (const type of ['web_search', 'web_search_preview', 'file_search', 'code_interpreter', 'mcp', 'custom', 'shell']) {
      const err = expect400({ input: 'x', tools: [weatherTool, { type }] }, 'tools[1].type', type, 'function tools');
      expect(err.message).toMatch(/hosted tools/i);
    }
  });

  it('rejects a missing tool type', () => {
    expect400({ input: 'x', tools: [{ name: 'f' }] }, 'tools[0].type', 'Missing');
  });

  it('rejects bad tool names', () => {
    expect400({ input: 'x', tools: [{ type: 'function', name: 'get weather' }] }, 'tools[0].name', '1 to 64 characters', 'got "get weather"');
    expect400({ input: 'x', tools: [{ type: 'function', name: '' }] }, 'tools[0].name');
    expect400({ input: 'x', tools: [{ type: 'function', name: 'a'.repeat(65) }] }, 'tools[0].name');
    expect400({ input: 'x', tools: [{ type: 'function', name: 'f.g' }] }, 'tools[0].name');
    expect(parseCreateRequest({ input: 'x', tools: [{ type: 'function', name: 'a-Z_09' }] }).tools).toHaveLength(1);
  });

  it('hints at the flat shape when given a chat-completions tool', () => {
    expect400(
      { input: 'x', tools: [{ type: 'function', function: { name: 'get_weather', parameters: {} } }] },
      'tools[0].name',
      'Missing',
      'flat',
    );
  });

  it('rejects bad tool fields', () => {
    expect400({ input: 'x', tools: [{ type: 'function', name: 'f', parameters: [] }] }, 'tools[0].parameters', 'JSON Schema object');
    expect400({ input: 'x', tools: [{ type: 'function', name: 'f', strict: 'yes' }] }, 'tools[0].strict', 'boolean');
    expect400({ input: 'x', tools: [{ type: 'function', name: 'f', description: 1 }] }, 'tools[0].description', 'string');
    expect400({ input: 'x', tools: {} }, 'tools', 'expected an array');
  });

  it('rejects duplicate tool names', () => {
    expect400(
      { input: 'x', tools: [weatherTool, { type: 'function', name: 'other' }, { type: 'function', name: 'get_weather' }] },
      'tools[2].name',
      'Duplicate tool name',
      'get_weather',
    );
  });

  it('rejects a named tool_choice that is not in tools', () => {
    expect400(
      { input: 'x', tools: [weatherTool], tool_choice: { type: 'function', name: 'get_time' } },
      'tool_choice.name',
      'get_time',
      'get_weather',
    );
    expect400(
      {
        input: 'x',
        tools: [weatherTool],
        tool_choice: {
          type: 'allowed_tools',
          mode: 'auto',
          tools: [
            { type: 'function', name: 'get_weather' },
            { type: 'function', name: 'get_time' },
          ],
        },
      },
      'tool_choice.tools[1].name',
      'get_time',
    );
  });

  it('rejects a forcing tool_choice without tools', () => {
    expect400({ input: 'x', tool_choice: 'required' }, 'tool_choice', "'required'", 'tools');
    expect400({ input: 'x', tools: [], tool_choice: { type: 'function', name: 'f' } }, 'tool_choice', 'tools');
  });

  it('rejects hosted and malformed tool choices', () => {
    const base = { input: 'x', tools: [weatherTool] };
    expect400({ ...base, tool_choice: { type: 'file_search' } }, 'tool_choice.type', 'file_search', 'function tools');
    expect400({ ...base, tool_choice: 'sometimes' }, 'tool_choice', "'required'", 'got "sometimes"');
    expect400({ ...base, tool_choice: { type: 'function' } }, 'tool_choice.name', 'Missing');
    expect400({ ...base, tool_choice: { type: 'function', function: { name: 'get_weather' } } }, 'tool_choice.name', 'flat');
    expect400({ ...base, tool_choice: { type: 'allowed_tools', mode: 'sometimes', tools: [] } }, 'tool_choice.mode');
    expect400({ ...base, tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [] } }, 'tool_choice.tools', 'at least 1');
    expect400(
      { ...base, tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'web_search' }] } },
      'tool_choice.tools[0].type',
      'web_search',
    );
  });
});
