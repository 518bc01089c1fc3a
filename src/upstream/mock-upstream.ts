// The `mock` protocol: serves chat, completions and embeddings in-process from the simulated model, with
// configurable latency and decoding speed, honouring abort signals exactly like a network backend.
import { randomUUID } from 'node:crypto';
import { countChatTokens, countText } from '../classify/count-tokens.js';
import type { BackendConfig, MockConfig } from '../config/schema.js';
import { messagesText, promptText } from '../openai/message-text.js';
import type { ChatMessage } from '../openai/types.js';
import { mockAnswer, mockEmbedding, type MockAnswer } from './mock-model.js';
import { waitFor, type Cancel } from './cancel.js';
import type { SseEvent } from './sse-parser.js';
import type { Upstream, UpstreamRequest, UpstreamResponse } from './types.js';
import { UpstreamFailure, callerAborted } from './upstream-failure.js';

const defaults: MockConfig = {
  latencyMs: 20,
  tokensPerSecond: 200,
  answerTokens: 40,
  skill: 0.5,
  verboseWhenUnsure: true,
};

export function createMockUpstream(backend: BackendConfig): Upstream {
  const mock = backend.mock ?? defaults;

  async function send(req: UpstreamRequest): Promise<UpstreamResponse> {
    await wait(mock.latencyMs, req.signal);
    if (req.endpoint === 'embeddings') return json(embeddings(backend.model, req.body));
    const messages = (req.body.messages ?? []) as ChatMessage[];
    const prompt = req.endpoint === 'chat' ? messagesText(messages) : promptText(req.body.prompt);
    const promptTokens =
      req.endpoint === 'chat'
        ? countChatTokens(messages, undefined, { exact: true }).tokens
        : countText(prompt, { exact: true }).tokens;
    const maxTokens = numberField(req.body, 'max_completion_tokens') ?? numberField(req.body, 'max_tokens');
    const answer = mockAnswer({
      model: backend.model,
      mock,
      prompt,
      promptTokens,
      maxTokens,
      ...(req.endpoint === 'chat' && { body: req.body }),
    });
    const id = `${req.endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-mock-${randomUUID().slice(0, 8)}`;
    const created = Math.floor(Date.now() / 1000);
    const logprobs = req.body.logprobs === true;
    // `n` choices, generated side by side; a deterministic model gives each the same answer.
    const n = Number.isSafeInteger(req.body.n) && (req.body.n as number) >= 1 ? Math.min(req.body.n as number, 128) : 1;
    if (!req.stream) {
      if (answer.completionTokens > 0) await wait(tokensTime(mock, answer.completionTokens), req.signal);
      return json(
        req.endpoint === 'chat'
          ? chatBody(id, created, backend.model, answer, logprobs, n)
          : completionBody(id, created, backend.model, answer, n),
      );
    }
    const includeUsage = (req.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const events = streamAnswer({
      id,
      created,
      model: backend.model,
      answer,
      mock,
      chat: req.endpoint === 'chat',
      includeUsage,
      logprobs,
      n,
      signal: req.signal,
    });
    return { kind: 'stream', events, cancel: () => void events.return(undefined) };
  }

  return { backend, send, close: async () => {} };
}

function json(body: Record<string, unknown>): UpstreamResponse {
  return { kind: 'json', text: JSON.stringify(body), json: body };
}

function usage(a: MockAnswer, n: number) {
  return {
    prompt_tokens: a.promptTokens,
    completion_tokens: a.completionTokens * n,
    total_tokens: a.promptTokens + a.completionTokens * n,
  };
}

/** `n` copies of a choice, each with its index (first, where OpenAI puts it). */
function choices<T extends object>(n: number, choice: T): Array<T & { index: number }> {
  return Array.from({ length: n }, (_, index) => Object.assign({ index }, choice, { index }));
}

function chatBody(
  id: string,
  created: number,
  model: string,
  a: MockAnswer,
  logprobs: boolean,
  n: number,
): Record<string, unknown> {
  const lp = logprobs ? { content: pieces(a).map((token, i) => tokenLogprob(token, i, a.unsure)) } : null;
  const message = a.toolCall
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: toolCallId(id), type: 'function', function: a.toolCall }],
        refusal: null,
      }
    : { role: 'assistant', content: a.text, refusal: null };
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    system_fingerprint: 'sluice-mock',
    choices: choices(n, { message, logprobs: lp, finish_reason: a.finishReason }),
    usage: usage(a, n),
  };
}

/** The answer as the tokens it streams in: words (with their trailing space) of the content or the arguments. */
function pieces(a: MockAnswer): string[] {
  return (a.toolCall?.arguments ?? a.text).split(/(?<= )/);
}

function toolCallId(responseId: string): string {
  return `call_${responseId.slice(-8)}`;
}

/** A sure model's tokens are near-certain; an unsure one's are not, its first token least of all. */
function tokenLogprob(token: string, i: number, unsure: boolean) {
  const logprob = unsure ? (i === 0 ? -1.6 : -0.9) : -0.02;
  return { token, logprob, bytes: null, top_logprobs: [] };
}

function completionBody(id: string, created: number, model: string, a: MockAnswer, n: number): Record<string, unknown> {
  return {
    id,
    object: 'text_completion',
    created,
    model,
    system_fingerprint: 'sluice-mock',
    choices: choices(n, { text: a.text, logprobs: null, finish_reason: a.finishReason }),
    usage: usage(a, n),
  };
}

async function* streamAnswer(o: {
  id: string;
  created: number;
  model: string;
  answer: MockAnswer;
  mock: MockConfig;
  chat: boolean;
  includeUsage: boolean;
  logprobs: boolean;
  n: number;
  signal: Cancel;
}): AsyncGenerator<SseEvent[]> {
  const object = o.chat ? 'chat.completion.chunk' : 'text_completion';
  const base = { id: o.id, object, created: o.created, model: o.model, system_fingerprint: 'sluice-mock' };
  const call = o.answer.toolCall;
  // A tool call streams as OpenAI's do: id and name first, then the arguments in pieces.
  const opening = call
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [
          { index: 0, id: toolCallId(o.id), type: 'function', function: { name: call.name, arguments: '' } },
        ],
      }
    : { role: 'assistant', content: '' };
  const delta = (piece: string) =>
    call ? { tool_calls: [{ index: 0, function: { arguments: piece } }] } : { content: piece };
  const choice = (piece: string, finish: string | null) =>
    o.chat
      ? {
          index: 0,
          delta: piece === '' && finish === null ? opening : finish ? {} : delta(piece),
          logprobs: null,
          finish_reason: finish,
        }
      : { index: 0, text: piece, logprobs: null, finish_reason: finish };
  // One chunk per choice, as OpenAI streams `n` choices: interleaved, each naming its index.
  const events = (c: object): SseEvent[] =>
    choices(o.n, c).map((each) => ({ data: JSON.stringify({ ...base, choices: [each] }) }));
  if (o.chat) yield events(choice('', null));
  const perPiece = tokensTime(o.mock, 1);
  for (const [i, piece] of pieces(o.answer).entries()) {
    await wait(perPiece, o.signal);
    const c = choice(piece, null);
    if (o.logprobs && o.chat) c.logprobs = { content: [tokenLogprob(piece, i, o.answer.unsure)] } as never;
    yield events(c);
  }
  const last: SseEvent[] = events(choice('', o.answer.finishReason));
  if (o.includeUsage) last.push({ data: JSON.stringify({ ...base, choices: [], usage: usage(o.answer, o.n) }) });
  last.push({ data: '[DONE]' });
  yield last;
}

function embeddings(model: string, body: Record<string, unknown>): Record<string, unknown> {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const base64 = body.encoding_format === 'base64';
  const data = inputs.map((input, index) => {
    const vec = mockEmbedding(typeof input === 'string' ? input : JSON.stringify(input));
    return {
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(vec.buffer).toString('base64') : Array.from(vec),
    };
  });
  const tokens = inputs.reduce<number>((n, i) => n + Math.max(1, Math.ceil(String(i).length / 4)), 0);
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

function tokensTime(mock: MockConfig, tokens: number): number {
  return mock.tokensPerSecond > 0 ? (tokens * 1000) / mock.tokensPerSecond : 0;
}

async function wait(ms: number, signal: Cancel): Promise<void> {
  try {
    if (ms > 0 || signal.aborted) await waitFor(ms, signal);
  } catch {
    throw signal.reason instanceof UpstreamFailure ? signal.reason : callerAborted();
  }
}

function numberField(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  return typeof v === 'number' ? v : undefined;
}
