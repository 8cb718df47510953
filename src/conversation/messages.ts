/**
 * Input items → chat messages, the shape chat templates render (responses-protocol.md §1.2).
 * `instructions` become the first system message; a string input is one user message; an assistant
 * turn (reasoning, text and the calls that follow it) becomes one assistant message; each
 * `function_call_output` becomes a `tool` message.
 */
import type { CreateRequest } from '../protocol/request.ts';
import type { ChatMessage } from '../prompt/chat.ts';

/** Parses call arguments for templates that apply `tojson`; keeps the raw string when it is not JSON. */
function parseArguments(args: string): unknown {
  if (args.trim() === '') return {};
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

export function toChatMessages(req: Pick<CreateRequest, 'instructions' | 'input'>): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (req.instructions) out.push({ role: 'system', content: req.instructions });

  const callNames = new Map<string, string>();
  // The assistant message being built from consecutive assistant-side items.
  let turn: ChatMessage | null = null;
  const assistant = (): ChatMessage => {
    if (!turn) {
      turn = { role: 'assistant', content: '' };
      out.push(turn);
    }
    return turn;
  };

  for (const item of req.input) {
    switch (item.type) {
      case 'message': {
        if (item.role === 'assistant') {
          const t = assistant();
          // Text after calls starts a new assistant message; text after text is joined.
          if (t.tool_calls) {
            turn = null;
            assistant().content = item.content;
          } else {
            t.content += item.content;
          }
        } else {
          turn = null;
          out.push({ role: item.role === 'developer' ? 'system' : item.role, content: item.content });
        }
        break;
      }
      case 'reasoning': {
        const text = (item.content.length ? item.content : item.summary).map((p) => p.text).join('\n');
        let t = assistant();
        if (t.content || t.tool_calls) {
          turn = null;
          t = assistant();
        }
        t.reasoning_content = t.reasoning_content ? `${t.reasoning_content}\n${text}` : text;
        break;
      }
      case 'function_call': {
        callNames.set(item.call_id, item.name);
        const t = assistant();
        (t.tool_calls ??= []).push({
          id: item.call_id,
          type: 'function',
          function: { name: item.name, arguments: parseArguments(item.arguments) },
        });
        break;
      }
      case 'function_call_output': {
        turn = null;
        const name = callNames.get(item.call_id);
        out.push({ role: 'tool', content: item.output, tool_call_id: item.call_id, ...(name ? { name } : {}) });
        break;
      }
    }
  }
  return out;
}
