// The interface every protocol implements: one call to one backend, answering JSON or a stream of SSE events.
import type { BackendConfig, EndpointKind } from '../config/schema.js';
import type { Cancel } from './cancel.js';
import type { SseBatch } from './sse-parser.js';

import type { NativeRequest } from '../shared/native-request.js';

export type { NativeRequest };

export interface UpstreamRequest {
  endpoint: EndpointKind;
  /** The body to send, `model` already set to the backend's model. */
  body: Record<string, unknown>;
  stream: boolean;
  /** Aborts the call: client gone, deadline passed, or the cascade discarded it. */
  signal: Cancel;
  requestId: string;
  native?: NativeRequest;
  /** The client's body and its bytes, when `body` is that body shallowly edited: what the bytes can be spliced from. */
  source?: { body: Record<string, unknown>; bytes: Buffer };
  /** W3C trace context for the call. */
  trace?: { traceparent: string; tracestate?: string };
}

export interface UpstreamJson {
  kind: 'json';
  /** The body as received, sent on unchanged when nothing needs rewriting. */
  text: string;
  json: Record<string, unknown>;
}

export interface UpstreamStream {
  kind: 'stream';
  /**
   * SSE events as they arrive, in batches: all the events of one upstream read (one await per read, not per
   * event). Throws UpstreamFailure on reset, timeout or abort. Breaking out of the loop (or calling cancel)
   * destroys the body and frees the connection.
   */
  events: AsyncIterable<SseBatch>;
  cancel(): void;
}

export type UpstreamResponse = UpstreamJson | UpstreamStream;

export interface Upstream {
  readonly backend: BackendConfig;
  /** Resolves when the answer starts (JSON fully read, or stream headers in); rejects with UpstreamFailure. */
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
  /** The backend's own count of a native request's prompt tokens (Anthropic's count_tokens), when it has one. */
  countTokens?(native: NativeRequest, signal: Cancel): Promise<number>;
  close(): Promise<void>;
}
