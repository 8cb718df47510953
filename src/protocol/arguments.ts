/**
 * Validation of a strict tool's final arguments against its JSON schema (zod's JSON-schema import).
 * A violation is reported, never passed off as a good call.
 */
import { z } from 'zod';
import { invalidRequest } from './errors.ts';
import type { FunctionTool } from './request.ts';

/** Returns a message for arguments that break the tool's strict schema, or null. */
export type ArgumentsValidator = (name: string, args: string) => string | null;

/**
 * Compiles the schemas of the strict tools among `tools` (a 400 naming the tool when a schema cannot
 * be enforced) and returns the validator.
 */
export function strictArgumentsValidator(tools: readonly FunctionTool[]): ArgumentsValidator {
  const schemas = new Map<string, z.ZodType>();
  tools.forEach((tool, i) => {
    if (!tool.strict || !tool.parameters) return;
    try {
      schemas.set(tool.name, z.fromJSONSchema(tool.parameters as Parameters<typeof z.fromJSONSchema>[0]));
    } catch (err) {
      throw invalidRequest(
        `tools[${i}].parameters`,
        `The schema of strict tool '${tool.name}' cannot be enforced: ${(err as Error).message}. Fix the schema or set "strict": false.`,
        'invalid_schema',
      );
    }
  });
  return (name, args) => {
    const schema = schemas.get(name);
    if (!schema) return null;
    let value: unknown;
    try {
      value = JSON.parse(args === '' ? '{}' : args);
    } catch {
      return null; // not JSON at all: the writer reports that
    }
    const result = schema.safeParse(value);
    if (result.success) return null;
    const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`);
    return `The model's arguments for '${name}' do not match its strict schema: ${problems.join('; ')}.`;
  };
}
