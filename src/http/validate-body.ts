// Request validation for the routed endpoints. Checks what Sluice and OpenAI clients rely on; every other
// field, known or not, is carried to the backend untouched (the original body is forwarded, not zod's copy).
import { z } from 'zod';
import type { EndpointKind } from '../config/schema.js';
import { SluiceError } from '../errors/sluice-error.js';
import { firstIssue } from '../shared/schema-issue.js';
import { isPlainChat } from './plain-chat.js';

const nullish = <T extends z.ZodType>(t: T) => t.nullish();
const contentPart = z.looseObject({ type: z.string() });
const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: nullish(z.union([z.string(), z.array(contentPart)])),
});
const common = {
  model: z.string().min(1),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.looseObject({ include_usage: nullish(z.boolean()) })),
  max_tokens: nullish(z.int().positive()),
  n: nullish(z.int().min(1).max(128)),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().min(0).max(1)),
  stop: nullish(z.union([z.string(), z.array(z.string())])), // OpenAI takes 4, self-hosted servers more: theirs to say
  seed: nullish(z.int()),
  user: nullish(z.string()),
};

/** The schemas behind each endpoint's 400s (exported for the test holding the plain-chat check to them). */
export const bodySchemas: Record<EndpointKind, z.ZodType> = {
  chat: z.looseObject({
    ...common,
    messages: z.array(message).min(1),
    max_completion_tokens: nullish(z.int().positive()),
    tools: nullish(
      z.array(z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string().min(1) }).optional() })),
    ),
    response_format: nullish(z.looseObject({ type: z.enum(['text', 'json_object', 'json_schema']) })),
    logprobs: nullish(z.boolean()),
    top_logprobs: nullish(z.int().min(0).max(20)),
  }),
  completions: z.looseObject({
    ...common,
    prompt: z.union([
      z.string(),
      z.array(z.string()).min(1),
      z.array(z.number()).min(1),
      z.array(z.array(z.number())).min(1),
    ]),
  }),
  embeddings: z.looseObject({
    model: z.string().min(1),
    input: z.union([
      z.string(),
      z.array(z.string()).min(1),
      z.array(z.number()).min(1),
      z.array(z.array(z.number())).min(1),
    ]),
    encoding_format: nullish(z.enum(['float', 'base64'])),
    dimensions: nullish(z.int().positive()),
  }),
};

/** Deeper JSON than any real request needs (a tool's JSON schema nests a dozen levels); past it, a 400. */
export const maxJsonDepth = 64;

/**
 * Refuses a body nested deeper than `maxJsonDepth`, naming the field, before anything walks it recursively
 * (validation, serialising it for the backend): 20,000 levels would overflow the stack there and read as a
 * backend failure. An explicit stack, so the check itself cannot overflow; the field is named by a second walk,
 * only for a body refused (spelling out every path cost a string per value of every request).
 */
export function checkDepth(body: Record<string, unknown>): void {
  const values: unknown[] = [];
  const depths: number[] = [];
  for (const key in body) {
    values.push(body[key]);
    depths.push(2);
  }
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxJsonDepth) tooDeep(body);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        values.push(value[i]);
        depths.push(depth + 1);
      }
    } else {
      for (const key in value) {
        values.push((value as Record<string, unknown>)[key]);
        depths.push(depth + 1);
      }
    }
  }
}

/** The 400 for a body too deep, naming the field (its path spelled out for the first few levels). */
function tooDeep(body: Record<string, unknown>): never {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [];
  for (const key of Object.keys(body)) stack.push({ value: body[key], depth: 2, path: key });
  for (;;) {
    const { value, depth, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxJsonDepth) {
      throw new SluiceError(
        'invalid_request',
        `Invalid value for '${path}': JSON nested deeper than ${maxJsonDepth} levels.`,
        { param: path.split(/[.[]/)[0]! },
      );
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++)
        stack.push({ value: value[i], depth: depth + 1, path: depth < 4 ? `${path}[${i}]` : path });
    } else {
      for (const key of Object.keys(value))
        stack.push({
          value: (value as Record<string, unknown>)[key],
          depth: depth + 1,
          path: depth < 4 ? `${path}.${key}` : path,
        });
    }
  }
}

/** Throws a 400 naming the first offending field; returns the body as it came. */
export function validateBody(endpoint: EndpointKind, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SluiceError('invalid_request', 'the request body must be a JSON object');
  }
  checkDepth(body as Record<string, unknown>);
  if (endpoint === 'chat' && isPlainChat(body as Record<string, unknown>)) return body as Record<string, unknown>;
  const result = bodySchemas[endpoint].safeParse(body);
  if (result.success) return body as Record<string, unknown>;
  const { param, missing, message } = firstIssue(result.error, body as Record<string, unknown>);
  const text = missing ? `Missing required parameter: '${param}'.` : `Invalid value for '${param}': ${message}.`;
  throw new SluiceError('invalid_request', text, { param });
}
