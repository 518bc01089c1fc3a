// One non-streaming attempt: call the backend, price what it used, and let the judge accept or escalate.
import type { BackendConfig } from '../config/schema.js';
import { asObject, asString, tokenLogprobs, toolCallsOf } from '../openai/wire-values.js';
import { classifyTransportError, UpstreamFailure } from '../upstream/upstream-failure.js';
import type { Cancel } from '../upstream/cancel.js';
import type { UpstreamJson, UpstreamRequest } from '../upstream/types.js';
import { attemptTraceparent, type TraceContext } from '../telemetry/trace-context.js';
import { generatedText, priceAttempt, usageFrom, type AttemptRecord } from './attempt.js';
import type { AnswerView, Verdict } from '../shared/answer.js';
import type { CascadeDeps, CascadeRequest } from './types.js';
import { upstreamBody } from './upstream-body.js';

export interface AttemptContext {
  req: CascadeRequest;
  deps: CascadeDeps;
  backend: BackendConfig;
  tier: number;
  /** The last planned tier is never judged: its answer is the best there is. */
  judged: boolean;
  /** Aborts on client disconnect, shutdown or the request deadline (its reason says which). */
  signal: Cancel;
  /** Logprobs were requested for the judge, not by the client: strip them from the answer. */
  addLogprobs: boolean;
  /** The attempt's span, when spans are recorded. */
  spanId?: string;
}

export type AttemptResult =
  | { kind: 'accepted'; record: AttemptRecord; answer?: UpstreamJson; streamed?: AnswerView }
  | { kind: 'escalate'; record: AttemptRecord; reason: string; answer?: UpstreamJson }
  | { kind: 'failed'; record: AttemptRecord; failure: UpstreamFailure; committed: boolean };

/** The trace headers of one attempt. */
export function upstreamTrace(trace: TraceContext, spanId: string | undefined): UpstreamRequest['trace'] {
  return { traceparent: attemptTraceparent(trace, spanId), ...(trace.state && { tracestate: trace.state }) };
}

export async function jsonAttempt(a: AttemptContext): Promise<AttemptResult> {
  const t0 = a.deps.now();
  const upstream = a.deps.upstreams.get(a.backend.id)!;
  try {
    let res = await upstream.send({
      endpoint: a.req.endpoint,
      body: upstreamBody(a.req.body, a.backend, false, { logprobs: a.addLogprobs }),
      stream: false,
      signal: a.signal,
      requestId: a.req.requestId,
      ...(a.req.native && { native: a.req.native }),
      ...(a.req.raw && { source: { body: a.req.body, bytes: a.req.raw } }),
      ...(a.req.trace && { trace: upstreamTrace(a.req.trace, a.spanId) }),
    });
    if (res.kind !== 'json') {
      res.cancel();
      throw new UpstreamFailure('protocol', 'expected a JSON answer');
    }
    const view = answerFromJson(res.json);
    if (a.addLogprobs) res = withoutLogprobs(res);
    const usage = usageFrom(res.json.usage, {
      inputTokens: a.req.profile.inputTokens,
      outputText: generatedText(view),
    });
    const verdict: Verdict =
      a.judged && a.deps.judge && a.req.endpoint !== 'embeddings'
        ? a.deps.judge(view, { partial: false, backend: a.backend })
        : { kind: 'accept' };
    const record: AttemptRecord = {
      tier: a.tier,
      backend: a.backend.id,
      outcome: verdict.kind === 'accept' ? 'accepted' : 'escalated',
      usage,
      costNano: priceAttempt(a.backend, usage),
      durationMs: a.deps.now() - t0,
      ...(verdict.kind === 'escalate' && { reason: verdict.reason }),
      ...(verdict.score !== undefined && { score: verdict.score }),
    };
    return verdict.kind === 'accept'
      ? { kind: 'accepted', record, answer: res }
      : { kind: 'escalate', record, reason: verdict.reason, answer: res };
  } catch (err) {
    const failure = classifyTransportError(err);
    return { kind: 'failed', failure, committed: false, record: failedRecord(a, failure, t0, undefined) };
  }
}

/**
 * A failed attempt is paid for what the backend processed: nothing when it refused or could not be reached;
 * the prompt (estimated) plus what was generated when it was cut, timed out, abandoned mid-answer or too large.
 */
export function failedRecord(
  a: AttemptContext,
  failure: UpstreamFailure,
  t0: number,
  generated: string | undefined,
): AttemptRecord {
  const processed =
    failure.kind === 'timeout' ||
    failure.kind === 'aborted' ||
    failure.kind === 'reset' ||
    failure.kind === 'oversize' ||
    generated !== undefined;
  const usage = processed
    ? usageFrom(undefined, { inputTokens: a.req.profile.inputTokens, outputText: generated })
    : { input: 0, cachedInput: 0, output: 0, estimated: false };
  return {
    tier: a.tier,
    backend: a.backend.id,
    outcome: failure.kind === 'aborted' ? 'aborted' : 'failed',
    reason: failure.reason,
    error: failure.detail,
    usage,
    costNano: processed ? priceAttempt(a.backend, usage) : 0,
    durationMs: a.deps.now() - t0,
    ...(failure.status !== undefined && { status: failure.status }),
    ...(failure.countsAgainstHealth && { healthFailure: true }),
  };
}

/** Removes logprobs the client never asked for (they were requested for the judge). */
function withoutLogprobs(res: UpstreamJson): UpstreamJson {
  const choices = res.json.choices;
  if (!Array.isArray(choices)) return res;
  for (const c of choices) {
    const choice = asObject(c);
    if (choice && choice.logprobs != null) choice.logprobs = null;
  }
  return { kind: 'json', json: res.json, text: JSON.stringify(res.json) };
}

export function answerFromJson(json: Record<string, unknown>): AnswerView {
  const choices = json.choices;
  const choice = asObject(Array.isArray(choices) ? choices[0] : undefined);
  const message = asObject(choice?.message);
  const text = asString(message?.content) ?? asString(choice?.text) ?? '';
  const toolCalls = toolCallsOf(message?.tool_calls).map((c) => ({
    ...(c.id !== undefined && { id: c.id }),
    name: c.name ?? '',
    arguments: c.arguments ?? '',
  }));
  const logprobs = choice?.logprobs == null ? undefined : tokenLogprobs(choice.logprobs);
  return {
    text,
    toolCalls,
    finishReason: asString(choice?.finish_reason) ?? null,
    refusal: asString(message?.refusal) ?? null,
    ...(logprobs && logprobs.length > 0 && { logprobs }),
  };
}
