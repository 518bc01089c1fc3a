// What a request's response_format asks for. Pure.

/** JSON mode: `response_format` is `json_object` or `json_schema`. */
export function isJsonMode(body: Record<string, unknown>): boolean {
  const type = (body.response_format as { type?: unknown } | null | undefined)?.type;
  return type === 'json_object' || type === 'json_schema';
}
