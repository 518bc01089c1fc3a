// Shapes shared by the cascade's loop, its attempts and the http layer that feeds and drains it.
import type { NativeRequest } from '../upstream/types.js';
import type { TraceContext } from '../telemetry/trace-context.js';
import type { Profile } from '../classify/profile.js';
import type { EndpointKind, RouteConfig } from '../config/schema.js';
import type { OpenAIErrorBody, SluiceError } from '../errors/sluice-error.js';
import type { Plan } from '../route/plan.js';
import type { Cancel } from '../upstream/cancel.js';
import type { Upstream, UpstreamJson } from '../upstream/types.js';
import type { AttemptRecord, Escalation } from '../shared/attempt-record.js';

export type { Escalation };
import type { AnswerView, JudgeFn } from '../shared/answer.js';

export interface CommitInfo {
  backend: string;
  tier: number;
  attempts: number;
  escalations: readonly string[];
}

/** Where a streamed answer goes. Nothing may be written before `open` (the commit point). */
export interface StreamSink {
  open(info: CommitInfo): void;
  /** One SSE data event (and its chunk, parsed, when the caller has it); a promise when the client lags. */
  send(data: string, parsed?: object): void | Promise<void>;
  /**
   * Present when the client gets the events as `data:` lines unchanged (no door translating them): one upstream
   * read that is exactly such events, written as it was read (its bytes, when given) instead of event by event.
   */
  sendRead?(read: string | Uint8Array): void | Promise<void>;
  done(): void;
  fail(body: OpenAIErrorBody): void;
}

export interface CascadeRequest {
  requestId: string;
  endpoint: EndpointKind;
  body: Record<string, unknown>;
  route: RouteConfig;
  plan: Plan;
  profile: Profile;
  /** Aborted when the client goes away ('client') or the replica shuts down ('shutdown'). */
  signal: Cancel;
  /** Present for streaming requests. */
  sink?: StreamSink;
  clientWantsUsage: boolean;
  /** Streams with x-sluice-explain: the data of an extra event before [DONE], from every attempt so far. */
  explain?: (
    attempts: readonly AttemptRecord[],
    head: { id?: unknown; created?: unknown; model?: unknown; object?: unknown },
  ) => string;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** The client's request in its own protocol, for backends that speak it. */
  native?: NativeRequest;
  trace?: TraceContext;
  /** The client's bytes when `body` is their parse: spliced for backends of the client's protocol. */
  raw?: Buffer;
}

export interface CascadeDeps {
  upstreams: ReadonlyMap<string, Upstream>;
  /** Counts each attempt's call while it runs (for least-busy tiers). */
  inflight?: { start(backend: string): void; end(backend: string): void };
  judge?: JudgeFn;
  now: () => number;
}

export interface CascadeResult {
  outcome: 'ok' | 'error' | 'client_aborted';
  attempts: AttemptRecord[];
  escalations: Escalation[];
  /** The attempt whose answer the client got. */
  delivered?: AttemptRecord;
  /** Non-streaming answers: the accepted body. */
  answer?: UpstreamJson;
  /** Streams: what the client got of the accepted answer (for shadow comparison). */
  streamed?: AnswerView;
  error?: SluiceError;
  /** Streams: whether the commit point was passed (bytes went to the client). */
  committed: boolean;
  /** Streams: ms from arrival to the first byte sent. */
  firstByteMs?: number;
}
