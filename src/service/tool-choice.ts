/**
 * tool_choice, enforced: which tools the template sees, what the assistant turn is prefilled with so
 * the model must call (a format's call opener, or everything up to a named function's arguments), and
 * what the stream may contain.
 */
import { invalidRequest } from '../protocol/errors.ts';
import type { CreateRequest, FunctionTool } from '../protocol/request.ts';
import { getToolFormat } from '../parsers/index.ts';

export interface ToolPlan {
  /** Tools rendered into the prompt ([] when tool_choice is "none"). */
  tools: FunctionTool[];
  /** The format the output is parsed with ('none': everything is text). */
  toolFormat: string;
  /** Text appended to the rendered prompt to force a call ('' when nothing is forced). */
  prefill: string;
  /** A call is forced: text around the calls is dropped (no message item). */
  forced: boolean;
  /** Most calls to return before generation stops. */
  callLimit: number;
}

export function planTools(req: CreateRequest, modelId: string, modelFormat: string): ToolPlan {
  const choice = req.tool_choice;
  const parallelLimit = req.parallel_tool_calls === false ? 1 : (req.max_tool_calls ?? Infinity);
  if (choice === 'none' || req.tools.length === 0) {
    return { tools: [], toolFormat: 'none', prefill: '', forced: false, callLimit: parallelLimit };
  }

  let tools = req.tools;
  let mode: 'auto' | 'required' | 'named' = 'auto';
  let name = '';
  if (choice === 'required') mode = 'required';
  else if (typeof choice === 'object' && choice.type === 'function') {
    mode = 'named';
    name = choice.name;
  } else if (typeof choice === 'object' && choice.type === 'allowed_tools') {
    const allowed = new Set(choice.tools.map((t) => t.name));
    tools = req.tools.filter((t) => allowed.has(t.name));
    if (choice.mode === 'required') mode = 'required';
  }

  const spec = getToolFormat(modelFormat);
  if (mode === 'auto') return { tools, toolFormat: spec.name, prefill: '', forced: false, callLimit: parallelLimit };

  const prefill = mode === 'named' ? spec.namedPrefill?.(name) : spec.requiredPrefill;
  if (prefill == null) {
    const what = mode === 'named' ? `a named tool_choice ('${name}')` : `tool_choice 'required'`;
    const why =
      spec.name === 'none'
        ? `model '${modelId}' has no tool-call format`
        : `the tool-call format of model '${modelId}' ('${spec.name}') has no call opener that a prefix of the answer can force`;
    throw invalidRequest('tool_choice', `Cannot enforce ${what}: ${why}. Use tool_choice 'auto' or 'none'.`, 'unsupported_value');
  }
  return {
    tools: mode === 'named' ? tools.filter((t) => t.name === name) : tools,
    toolFormat: spec.name,
    prefill,
    forced: true,
    callLimit: mode === 'named' ? 1 : parallelLimit,
  };
}
