/**
 * Chat messages as chat templates expect them (the Hugging Face convention), and rendering with the
 * model's own Jinja template through @huggingface/jinja.
 */
import { Template } from '@huggingface/jinja';

export interface ChatToolCall {
  id: string;
  type: 'function';
  /** `arguments` is the parsed object when it is valid JSON (templates apply `tojson`), else the raw string. */
  function: { name: string; arguments: unknown };
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Assistant reasoning replayed from a `reasoning` item (Qwen3-style templates read `reasoning_content`). */
  reasoning_content?: string;
  tool_calls?: ChatToolCall[];
  /** On `tool` messages: the call this is the result of, and that call's function name. */
  tool_call_id?: string;
  name?: string;
}

/** A function tool in the shape chat templates render (`{"type": "function", "function": {...}}`). */
export interface TemplateTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown };
}

export interface RenderOptions {
  messages: ChatMessage[];
  tools?: TemplateTool[];
  bosToken?: string;
  eosToken?: string;
  /** Extra template variables (e.g. `enable_thinking`, `reasoning_effort`). */
  variables?: Record<string, unknown>;
}

/** A compiled chat template. Compile once per model, render per request. */
export class ChatTemplate {
  private readonly template: Template;

  constructor(readonly source: string) {
    this.template = new Template(source);
  }

  /** Renders the conversation and opens the assistant turn (`add_generation_prompt`). */
  render(opts: RenderOptions): string {
    const ctx: Record<string, unknown> = {
      ...opts.variables,
      messages: opts.messages,
      add_generation_prompt: true,
      bos_token: opts.bosToken ?? '',
      eos_token: opts.eosToken ?? '',
    };
    if (opts.tools && opts.tools.length > 0) ctx.tools = opts.tools;
    return this.template.render(ctx);
  }
}

/**
 * Our own ChatML template with Hermes-style tools (the convention Qwen2.5/Qwen3 and Hermes models
 * follow): tools are listed as JSON inside `<tools>`, calls are `<tool_call>` JSON objects, and tool
 * results come back inside `<tool_response>`. The scripted engine uses it by default.
 */
export const CHATML_TOOLS_TEMPLATE = `
{%- set sys = messages[0].content if messages and messages[0].role == 'system' else '' %}
{%- if tools %}
  {{- '<|im_start|>system\\n' }}
  {%- if sys %}{{- sys + '\\n\\n' }}{% endif %}
  {{- '# Tools\\n\\nYou may call one or more of these functions. Their signatures are inside <tools></tools>:\\n<tools>' }}
  {%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{% endfor %}
  {{- '\\n</tools>\\n\\nTo call a function, write a JSON object with its name and arguments inside <tool_call></tool_call> tags:\\n<tool_call>\\n{"name": <function-name>, "arguments": <arguments-object>}\\n</tool_call><|im_end|>\\n' }}
{%- elif sys %}
  {{- '<|im_start|>system\\n' + sys + '<|im_end|>\\n' }}
{%- endif %}
{%- for m in messages %}
  {%- if m.role == 'system' and loop.first %}
  {%- elif m.role == 'tool' %}
    {%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{% endif %}
    {{- '\\n<tool_response>\\n' + m.content + '\\n</tool_response>' }}
    {%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\\n' }}{% endif %}
  {%- elif m.role == 'assistant' %}
    {{- '<|im_start|>assistant\\n' }}
    {%- if m.reasoning_content %}{{- '<think>\\n' + m.reasoning_content + '\\n</think>\\n\\n' }}{% endif %}
    {{- m.content }}
    {%- if m.tool_calls %}
      {%- for call in m.tool_calls %}
        {%- if m.content or not loop.first %}{{- '\\n' }}{% endif %}
        {{- '<tool_call>\\n{"name": "' + call.function.name + '", "arguments": ' }}
        {%- if call.function.arguments is string %}{{- call.function.arguments }}{% else %}{{- call.function.arguments | tojson }}{% endif %}
        {{- '}\\n</tool_call>' }}
      {%- endfor %}
    {%- endif %}
    {{- '<|im_end|>\\n' }}
  {%- else %}
    {{- '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}
  {%- endif %}
{%- endfor %}
{{- '<|im_start|>assistant\\n' }}`;
