// The first problem zod found in a request body, as the field's path (`messages[0].role`), whether the field is
// missing at the top level, and zod's message: each door words its 400 from it. Pure.
import type { z } from 'zod';

export function firstIssue(
  error: z.ZodError,
  body: Record<string, unknown>,
): { param: string; missing: boolean; message: string } {
  const issue = error.issues[0]!;
  const param = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
  const missing = issue.code === 'invalid_type' && issue.path.length === 1 && body[String(issue.path[0])] === undefined;
  return { param, missing, message: issue.message };
}
