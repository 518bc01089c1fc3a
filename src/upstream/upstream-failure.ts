// Classifies every way an upstream call can fail, once: from undici error codes and HTTP statuses into kinds,
// each with whether a sibling backend may be tried and whether it counts against the backend's health.

/** `oversize`: the answer passed the backend's `maxAnswerBytes`, a limit of Sluice's, not a fault of the backend. */
export type FailureKind = 'connect' | 'timeout' | 'reset' | 'http' | 'protocol' | 'oversize' | 'aborted';

export class UpstreamFailure extends Error {
  readonly kind: FailureKind;
  readonly status: number | undefined;
  /** Seconds, from the upstream's retry-after header. */
  readonly retryAfter: number | undefined;
  /** The upstream's own error message, passed on when the request itself was at fault. */
  readonly upstreamMessage: string | undefined;
  readonly upstreamParam: string | undefined;

  constructor(
    kind: FailureKind,
    message: string,
    opts: {
      status?: number;
      retryAfter?: number;
      upstreamMessage?: string;
      upstreamParam?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'UpstreamFailure';
    this.kind = kind;
    this.status = opts.status;
    this.retryAfter = opts.retryAfter;
    this.upstreamMessage = opts.upstreamMessage;
    this.upstreamParam = opts.upstreamParam;
  }

  /** The request was at fault (400, 413, 422...): another backend would say the same. */
  get clientFault(): boolean {
    return (
      this.kind === 'http' &&
      this.status !== undefined &&
      this.status >= 400 &&
      this.status < 500 &&
      ![401, 403, 404, 408, 409, 429].includes(this.status)
    );
  }

  get retryable(): boolean {
    return this.kind !== 'aborted' && !this.clientFault;
  }

  get countsAgainstHealth(): boolean {
    if (this.kind === 'aborted' || this.kind === 'oversize' || this.clientFault) return false;
    return !(this.kind === 'http' && this.status === 429);
  }

  /** The message with the backend's own words, when it sent any (for the log; clients get `message`). */
  get detail(): string {
    return this.upstreamMessage === undefined ? this.message : `${this.message}: ${this.upstreamMessage.slice(0, 200)}`;
  }

  /** Short label for logs and metrics. */
  get reason(): 'error' | 'timeout' | 'rate_limited' | 'aborted' {
    if (this.kind === 'timeout') return 'timeout';
    if (this.kind === 'aborted') return 'aborted';
    if (this.kind === 'http' && this.status === 429) return 'rate_limited';
    return 'error';
  }
}

const connectCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CONNECT',
]);
const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const resetCodes = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Maps a thrown transport error (undici or node) to a failure. Already-classified failures pass unchanged. */
export function classifyTransportError(err: unknown): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err;
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  const message = e?.message ?? String(err);
  if (connectCodes.has(code)) return new UpstreamFailure('connect', `connect failed: ${code}`, { cause: err });
  // The egress proxy would not open a tunnel (407, 403, 502…; undici calls it an abort) or failed its TLS.
  if (/^Proxy response \(\d+\)/.test(message) || code === 'UND_ERR_PRX_TLS')
    return new UpstreamFailure('connect', `the egress proxy refused: ${message}`, { cause: err });
  if (timeoutCodes.has(code)) return new UpstreamFailure('timeout', `timed out: ${code}`, { cause: err });
  if (resetCodes.has(code)) return new UpstreamFailure('reset', `connection reset: ${code}`, { cause: err });
  if (code === 'UND_ERR_ABORTED' || e?.name === 'AbortError')
    return new UpstreamFailure('aborted', 'aborted', { cause: err });
  return new UpstreamFailure('protocol', `upstream failure: ${message}`, { cause: err });
}

/** The caller's scope aborted the call: client gone, deadline passed, shutdown, or the cascade let it go. */
export function callerAborted(): UpstreamFailure {
  return new UpstreamFailure('aborted', 'aborted by caller');
}

/** The attempt ran past its backend's total time. */
export function totalTimeExceeded(ms: number): UpstreamFailure {
  return new UpstreamFailure('timeout', `total time exceeded (${ms} ms)`);
}

/** The backend's answer grew past its `maxAnswerBytes`. */
export function answerTooLarge(maxBytes: number): UpstreamFailure {
  return new UpstreamFailure('oversize', `the answer is larger than ${maxBytes} bytes (the backend's maxAnswerBytes)`);
}

/** Parses `retry-after` (seconds or HTTP date) and `retry-after-ms` into whole seconds. */
export function parseRetryAfter(
  headers: Record<string, string | string[] | undefined>,
  now = Date.now(),
): number | undefined {
  const ms = first(headers['retry-after-ms']);
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Math.ceil(Number(ms) / 1000));
  const value = first(headers['retry-after']);
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Builds the failure for a non-2xx answer from the status and the (possibly OpenAI-shaped) error body. */
export function httpFailure(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
): UpstreamFailure {
  let upstreamMessage: string | undefined;
  let upstreamParam: string | undefined;
  try {
    const parsed = JSON.parse(bodyText) as {
      error?: { message?: unknown; param?: unknown } | string;
      message?: unknown;
    };
    const errObj = parsed.error;
    if (typeof errObj === 'object' && errObj !== null) {
      if (typeof errObj.message === 'string') upstreamMessage = errObj.message;
      if (typeof errObj.param === 'string') upstreamParam = errObj.param;
    } else if (typeof errObj === 'string') upstreamMessage = errObj;
    else if (typeof parsed.message === 'string') upstreamMessage = parsed.message;
  } catch {
    if (bodyText.length > 0 && bodyText.length < 500) upstreamMessage = bodyText.trim();
  }
  // A redirect is not followed (it would resend the key elsewhere): say where it pointed, as a wrong baseUrl does.
  const location = status >= 300 && status < 400 ? first(headers.location) : undefined;
  if (location)
    upstreamMessage = `redirected to ${location.slice(0, 200)}: Sluice does not follow redirects; check the backend's baseUrl`;
  const retryAfter = parseRetryAfter(headers);
  const kind = status === 408 || status === 504 ? 'timeout' : 'http';
  return new UpstreamFailure(kind, `upstream answered ${status}`, {
    status,
    ...(retryAfter !== undefined && { retryAfter }),
    ...(upstreamMessage !== undefined && { upstreamMessage }),
    ...(upstreamParam !== undefined && { upstreamParam }),
  });
}
