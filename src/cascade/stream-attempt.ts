// One streaming attempt. Events are held until the commit point; before it the attempt can still fail over or
// escalate and the client has seen nothing; after it every event goes straight to the client, and a failure
// ends the client's stream with one error event and no [DONE].
import type { SseBatch } from '../upstream/sse-parser.js';
import { UpstreamFailure, classifyTransportError } from '../upstream/upstream-failure.js';
import { generatedText, priceAttempt, usageFrom, type AttemptRecord } from './attempt.js';
import { abortError, failuresToError } from './failures-to-error.js';
import { failedRecord, upstreamTrace, type AttemptContext, type AttemptResult } from './json-attempt.js';
import { StreamAccumulator } from './stream-accumulator.js';
import type { Verdict } from '../shared/answer.js';
import type { CommitInfo, StreamSink } from './types.js';
import { upstreamBody } from './upstream-body.js';

export interface StreamAttemptContext extends AttemptContext {
  sink: StreamSink;
  /** Built at the commit point: headers reflect every attempt so far. */
  commitInfo: () => CommitInfo;
  /** When the cheap answer is judged before commit: after N answer tokens (holdback) or at its end (buffer). */
  holdbackTokens: number | 'all';
  onFirstByte: () => void;
  /** An extra event to send before [DONE], built from the final attempt (x-sluice-explain). */
  trailer?: (final: AttemptRecord, head: StreamAccumulator['head']) => string;
}

export async function streamAttempt(a: StreamAttemptContext): Promise<AttemptResult> {
  const t0 = a.deps.now();
  const upstream = a.deps.upstreams.get(a.backend.id)!;
  const acc = new StreamAccumulator(a.req.clientWantsUsage, a.addLogprobs);
  let committed = false;
  let firstEventMs: number | undefined;
  const held: Array<[string, object | undefined]> = [];

  const commit = async (): Promise<void> => {
    committed = true;
    a.sink.open(a.commitInfo());
    a.onFirstByte();
    for (const [data, parsed] of held.splice(0)) {
      const p = a.sink.send(data, parsed);
      if (p) await p;
    } // awaits only under back-pressure
  };

  try {
    const res = await upstream.send({
      endpoint: a.req.endpoint,
      body: upstreamBody(a.req.body, a.backend, true, { logprobs: a.addLogprobs }),
      stream: true,
      signal: a.signal,
      requestId: a.req.requestId,
      ...(a.req.native && { native: a.req.native }),
      ...(a.req.raw && { source: { body: a.req.body, bytes: a.req.raw } }),
      ...(a.req.trace && { trace: upstreamTrace(a.req.trace, a.spanId) }),
    });
    if (res.kind !== 'stream') throw new UpstreamFailure('protocol', 'expected an event stream');
    reading: for await (const events of res.events) {
      firstEventMs ??= a.deps.now() - t0;
      const verbatim = a.sink.sendRead ? (events.verbatim?.count ?? 0) : 0;
      for (let i = 0; i < events.length; i++) {
        if (committed && i < verbatim) {
          i = (await relayVerbatim(a.sink, acc, events, i)) - 1;
          continue;
        }
        const ev = events[i]!;
        const out = acc.accept(ev);
        if (acc.done) break reading;
        if (out !== null) {
          if (committed) {
            const p = a.sink.send(out, acc.last);
            if (p) await p;
          } else held.push([out, acc.last]);
        }
        if (!committed && reachedCommitPoint(a, acc)) {
          const verdict = judgePartial(a, acc, true);
          if (verdict.kind === 'escalate') return escalate(a, acc, verdict, t0, firstEventMs, res.cancel);
          await commit();
        }
      }
    }
    if (!acc.complete) throw new UpstreamFailure('reset', 'the stream ended before the answer was complete');
    const usage = usageFrom(acc.usage, { inputTokens: a.req.profile.inputTokens, outputText: generatedText(acc) });
    let atEnd: Verdict | undefined;
    if (!committed) {
      atEnd = judgePartial(a, acc, false);
      if (atEnd.kind === 'escalate') return escalate(a, acc, atEnd, t0, firstEventMs, () => {});
      await commit();
    }
    if (a.req.clientWantsUsage && !acc.usage) await a.sink.send(acc.usageChunk(usage));
    // Committed early (holdback): the whole answer is still judged, for the verbosity metrics.
    const score = a.judged ? (atEnd ?? judgePartial(a, acc, false)).score : undefined;
    const record: AttemptRecord = {
      tier: a.tier,
      backend: a.backend.id,
      outcome: 'accepted',
      usage,
      costNano: priceAttempt(a.backend, usage),
      durationMs: a.deps.now() - t0,
      ...(firstEventMs !== undefined && { firstEventMs }),
      ...(score !== undefined && { score }),
    };
    if (a.trailer) await a.sink.send(a.trailer(record, acc.head));
    a.sink.done();
    return {
      kind: 'accepted',
      record,
      streamed: {
        text: acc.text,
        toolCalls: acc.toolCalls,
        finishReason: acc.finishReason,
        refusal: acc.refusal || null,
      },
    };
  } catch (err) {
    const failure = classifyTransportError(err);
    if (committed && a.signal.reason !== 'client')
      a.sink.fail((abortError(a.signal.reason, 1) ?? failuresToError([failure], 1)).toBody());
    const record = failedRecord(a, failure, t0, acc.contentEvents > 0 ? generatedText(acc) : undefined);
    if (firstEventMs !== undefined) record.firstEventMs = firstEventMs;
    return { kind: 'failed', failure, committed, record };
  }
}

/**
 * After the commit point, the events a read starts with that are exactly its text (never [DONE]), from `from` on:
 * each run of them that goes on unchanged, nearly every event of an answer, goes to the client as its slice of the
 * read (its bytes as they came when the read was ASCII, else its text), instead of a string built per event; an
 * event the accumulator changes or drops goes on as it returned it, in its place. Returns how many events it took.
 */
async function relayVerbatim(
  sink: StreamSink,
  acc: StreamAccumulator,
  events: SseBatch,
  from: number,
): Promise<number> {
  const { text, count, bytes } = events.verbatim!;
  // Each event is `data: `, its data and a blank line in the text: 8 characters besides its data.
  let at = 0;
  for (let j = 0; j < from; j++) at += 8 + events[j]!.data.length;
  let run = at;
  const flush = () => {
    if (at === run) return;
    if (bytes) return sink.sendRead!(run === 0 && at === bytes.length ? bytes : bytes.subarray(run, at));
    return sink.sendRead!(run === 0 && at === text.length ? text : text.slice(run, at));
  };
  for (let n = from; n < count; n++) {
    const ev = events[n]!;
    let out: string | null;
    try {
      out = acc.accept(ev);
    } catch (err) {
      await flush(); // what was read before the failing event still reaches the client, as in the per-event loop
      throw err;
    }
    if (out !== ev.data) {
      const p = flush();
      if (p) await p;
      if (out !== null) {
        const q = sink.send(out);
        if (q) await q;
      }
      run = at + 8 + ev.data.length;
    }
    at += 8 + ev.data.length;
  }
  const p = flush();
  if (p) await p;
  return count;
}

function reachedCommitPoint(a: StreamAttemptContext, acc: StreamAccumulator): boolean {
  if (acc.contentEvents === 0) return false;
  if (!a.judged) return true;
  if (a.holdbackTokens === 'all') return false;
  // Content events approximate tokens: upstreams send about one token per event.
  return acc.contentEvents >= a.holdbackTokens || acc.finishReason !== null;
}

function judgePartial(a: StreamAttemptContext, acc: StreamAccumulator, partial: boolean): Verdict {
  if (!a.judged || !a.deps.judge) return { kind: 'accept' };
  const view = {
    text: acc.text,
    toolCalls: acc.toolCalls,
    finishReason: acc.finishReason,
    refusal: acc.refusal || null,
    ...(acc.logprobs.length > 0 && { logprobs: acc.logprobs }),
  };
  return a.deps.judge(view, { partial: partial && !acc.complete, backend: a.backend });
}

function escalate(
  a: StreamAttemptContext,
  acc: StreamAccumulator,
  verdict: Verdict & { kind: 'escalate' },
  t0: number,
  firstEventMs: number | undefined,
  cancel: () => void,
): AttemptResult {
  cancel();
  const usage = usageFrom(acc.complete ? acc.usage : undefined, {
    inputTokens: a.req.profile.inputTokens,
    outputText: generatedText(acc),
  });
  const record: AttemptRecord = {
    tier: a.tier,
    backend: a.backend.id,
    outcome: 'escalated',
    reason: verdict.reason,
    usage,
    costNano: priceAttempt(a.backend, usage),
    durationMs: a.deps.now() - t0,
    ...(firstEventMs !== undefined && { firstEventMs }),
    ...(verdict.score !== undefined && { score: verdict.score }),
  };
  return { kind: 'escalate', record, reason: verdict.reason };
}
