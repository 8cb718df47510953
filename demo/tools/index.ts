/**
 * The tools the demo chat app offers the model and runs in the page when the model calls them:
 * their Responses API definitions (`DEMO_TOOLS`) and `runTool`, which turns a `function_call` item's
 * name and arguments into the `output` of the `function_call_output` item sent back.
 */
import { evaluate, KNOWN_FUNCTIONS } from './calculator.ts';
import { currentTime } from './time.ts';
import { convert, UNITS_BY_CATEGORY } from './units.ts';

/** A Responses API function tool (the shape `tools` takes in `POST /v1/responses`). */
export interface DemoFunctionTool {
  type: 'function';
  name: string;
  description: string;
  strict: true;
  parameters: {
    type: 'object';
    properties: Record<string, { type: 'string' | 'number'; description: string }>;
    required: string[];
    additionalProperties: false;
  };
}

const unitList = Object.entries(UNITS_BY_CATEGORY)
  .map(([category, units]) => `${category} (${units.join(', ')})`)
  .join('; ');

export const DEMO_TOOLS: DemoFunctionTool[] = [
  {
    type: 'function',
    name: 'calculator',
    description:
      'Evaluates an arithmetic expression exactly; use it instead of doing arithmetic in your head. ' +
      'Supports + - * / % (remainder), ^ or ** (power), parentheses, the constants pi and e, and the functions ' +
      `${KNOWN_FUNCTIONS.join(', ')} (trigonometry in radians; log is base 10, ln natural). ` +
      'Example: "(2 + 3) * sqrt(16) / 4".',
    strict: true,
    parameters: {
      type: 'object',
      properties: {
        expression: { type: 'string', description: 'The expression, e.g. "17.5 * 12 - 3^2". No units, no "=".' },
      },
      required: ['expression'],
      additionalProperties: false,
    },
  },
  {
    type: 'function',
    name: 'current_time',
    description: 'The current date and time in a time zone, with its UTC offset.',
    strict: true,
    parameters: {
      type: 'object',
      properties: {
        time_zone: {
          type: 'string',
          description: "IANA name, e.g. Europe/Paris; 'local' for the user's zone.",
        },
      },
      required: ['time_zone'],
      additionalProperties: false,
    },
  },
  {
    type: 'function',
    name: 'convert_units',
    description: `Converts a value between units of the same kind: ${unitList}. Volumes are US customary.`,
    strict: true,
    parameters: {
      type: 'object',
      properties: {
        value: { type: 'number', description: 'The quantity to convert, e.g. 5.' },
        from: { type: 'string', description: 'The unit of the value, e.g. "mi", "kg", "°F".' },
        to: { type: 'string', description: 'The unit wanted, e.g. "km", "lb", "C".' },
      },
      required: ['value', 'from', 'to'],
      additionalProperties: false,
    },
  },
];

export interface ToolResult {
  /** A JSON string: the tool's result, or `{"error": "..."}`. */
  output: string;
  ok: boolean;
}

export interface RunToolOptions {
  /** The instant `current_time` reports (default: now). */
  now?: Date;
}

class ArgumentError extends Error {}

type Args = Record<string, unknown>;

function stringArg(args: Args, key: string, tool: string, optional = false): string | undefined {
  const v = args[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') {
    throw new ArgumentError(`${tool}: "${key}" must be a string${v === undefined ? ' (it is missing)' : `, got ${JSON.stringify(v)}`}.`);
  }
  return v;
}

/** A number, or a string holding one ("5", " 2.5e3 "): small models often quote numbers. */
function numberArg(args: Args, key: string, tool: string): number {
  const v = args[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new ArgumentError(`${tool}: "${key}" must be a number${v === undefined ? ' (it is missing)' : `, got ${JSON.stringify(v)}`}.`);
}

const TOOL_NAMES = () => DEMO_TOOLS.map((t) => t.name).join(', ');

function run(name: string, args: Args, options: RunToolOptions): unknown {
  switch (name) {
    case 'calculator': {
      const result = evaluate(stringArg(args, 'expression', name)!);
      // 15 significant digits hide floating-point noise: 0.1 + 0.2 → 0.3.
      const shown = Number(result.toPrecision(15));
      return { result: shown === 0 ? 0 : shown };
    }
    case 'current_time':
      return currentTime(stringArg(args, 'time_zone', name, true), options.now ?? new Date());
    case 'convert_units':
      return convert(numberArg(args, 'value', name), stringArg(args, 'from', name)!, stringArg(args, 'to', name)!);
    default:
      throw new ArgumentError(`Unknown tool "${name}". The tools are: ${TOOL_NAMES()}.`);
  }
}

function failure(message: string): ToolResult {
  return { output: JSON.stringify({ error: message }), ok: false };
}

/**
 * Runs the demo tool `name` with `argumentsJson` (the `arguments` of a `function_call` item; `""`
 * counts as `{}`). Returns the result as a JSON string, or `{"error": "..."}` with `ok: false` for bad
 * JSON, an unknown tool or any error of the tool. Never throws.
 */
export function runTool(name: string, argumentsJson: string, options: RunToolOptions = {}): ToolResult {
  try {
    if (!DEMO_TOOLS.some((t) => t.name === name)) {
      return failure(`Unknown tool "${String(name)}". The tools are: ${TOOL_NAMES()}.`);
    }
    let args: unknown;
    const text = typeof argumentsJson === 'string' ? argumentsJson : String(argumentsJson);
    try {
      args = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      return failure(`The arguments of ${String(name)} are not valid JSON (${(err as Error).message}).`);
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      return failure(`The arguments of ${String(name)} must be a JSON object, got ${text.trim().slice(0, 100)}.`);
    }
    return { output: JSON.stringify(run(String(name), args as Args, options)), ok: true };
  } catch (err) {
    return failure(err instanceof Error ? err.message : String(err));
  }
}
