// Builds the judge for one request from the route's settings and what the request asked for.
import type { JudgeFn } from '../shared/answer.js';
import type { Profile } from '../classify/profile.js';
import type { RouteConfig } from '../config/schema.js';
import { impliedWords } from '../judge/implied-length.js';
import { judgeAnswer, type JudgeRequest, type VerbosityScorer } from '../judge/judge-answer.js';
import { lastUserText, promptText } from '../openai/message-text.js';
import { isJsonMode } from '../openai/response-format.js';
import type { ChatMessage } from '../openai/types.js';

export function requestJudge(
  route: RouteConfig,
  body: Record<string, unknown>,
  profile: Profile,
  scorer: VerbosityScorer,
): JudgeFn {
  const prompt = Array.isArray(body.messages) ? lastUserText(body.messages as ChatMessage[]) : promptText(body.prompt);
  const tools = Array.isArray(body.tools) ? (body.tools as Array<{ function?: { name?: unknown } }>) : [];
  const req: JudgeRequest = {
    prompt,
    clientMaxTokens: profile.clientMaxTokens,
    impliedWords: impliedWords(prompt),
    structure: {
      responseFormat: (body.response_format ?? null) as JudgeRequest['structure']['responseFormat'],
      toolNames: tools.map((t) => t.function?.name).filter((n): n is string => typeof n === 'string'),
    },
  };
  const settings = {
    verbosity: route.judge.verbosity.enabled,
    threshold: route.judge.verbosity.threshold,
    refusal: route.judge.refusal,
  };
  return (answer, opts) => judgeAnswer(answer, req, settings, scorer, opts.partial);
}

/**
 * Whether the answer must have a structure (JSON mode, or tools it may call). Structure is judged on the whole
 * answer, so a holdback route holds all of a cheap tier's stream for such a request rather than its first tokens:
 * otherwise malformed JSON or arguments would already be on their way to the client.
 */
export function asksForStructure(body: Record<string, unknown>): boolean {
  return isJsonMode(body) || (Array.isArray(body.tools) && body.tools.length > 0 && body.tool_choice !== 'none');
}
