// Structural checks of an answer against what the request demanded: valid JSON in JSON mode, the json_schema's
// required fields, tool calls whose arguments parse and whose names were offered. Pure.
import type { ToolCallSoFar } from '../shared/answer.js';

export interface StructureRequest {
  /** response_format from the request, if any. */
  responseFormat?: {
    type?: string;
    json_schema?: { schema?: { required?: unknown; properties?: Record<string, { type?: unknown }> } };
  } | null;
  /** Tool names the request offered. */
  toolNames: readonly string[];
}

/** Returns why the answer is malformed, or undefined when it is well formed. */
export function malformed(
  req: StructureRequest,
  text: string,
  toolCalls: readonly ToolCallSoFar[],
): string | undefined {
  for (const call of toolCalls) {
    if (req.toolNames.length > 0 && !req.toolNames.includes(call.name))
      return `tool call names unknown tool "${call.name}"`;
    try {
      const args: unknown = JSON.parse(call.arguments || '{}');
      if (typeof args !== 'object' || args === null || Array.isArray(args))
        return `tool call "${call.name}" arguments are not a JSON object`;
    } catch {
      return `tool call "${call.name}" arguments are not valid JSON`;
    }
  }
  const type = req.responseFormat?.type;
  if (toolCalls.length > 0 || (type !== 'json_object' && type !== 'json_schema')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(stripFence(text));
  } catch {
    return 'answer is not valid JSON in JSON mode';
  }
  if (type === 'json_object' && (typeof value !== 'object' || value === null || Array.isArray(value)))
    return 'answer is not a JSON object';
  const schema = req.responseFormat?.json_schema?.schema;
  if (type === 'json_schema' && schema) return schemaProblem(schema, value);
  return undefined;
}

function schemaProblem(
  schema: NonNullable<NonNullable<NonNullable<StructureRequest['responseFormat']>['json_schema']>['schema']>,
  value: unknown,
): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'answer is not the JSON object the schema describes';
  const obj = value as Record<string, unknown>;
  const required = Array.isArray(schema.required)
    ? schema.required.filter((r): r is string => typeof r === 'string')
    : [];
  const missing = required.filter((k) => !(k in obj));
  if (missing.length > 0) return `answer lacks required field(s) ${missing.join(', ')}`;
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (!(key in obj) || typeof prop?.type !== 'string') continue;
    if (!hasType(obj[key], prop.type)) return `field ${key} is not of type ${prop.type}`;
  }
  return undefined;
}

function hasType(v: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'null':
      return v === null;
    default:
      return true;
  }
}

/** Some models wrap JSON in a ```json fence even in JSON mode; accept it. */
function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return m ? m[1]! : text;
}
