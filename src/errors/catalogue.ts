// The single table of error codes Sluice answers with: status, OpenAI error type, and whether a client should retry.
// Statuses are chosen for what OpenAI SDKs do with them (they retry 408/409/429/5xx unless x-should-retry: false).

export interface ErrorSpec {
  readonly status: number;
  readonly type: string;
  /** false adds `x-should-retry: false` so SDKs do not retry what cannot succeed. */
  readonly retry: boolean;
  readonly description: string;
}

export const errorCatalogue = {
  invalid_json: {
    status: 400,
    type: 'invalid_request_error',
    retry: false,
    description: 'The body is not valid JSON, or not JSON at all.',
  },
  invalid_request: {
    status: 400,
    type: 'invalid_request_error',
    retry: false,
    description: 'A field is missing or has the wrong type; `param` names it.',
  },
  context_length_exceeded: {
    status: 400,
    type: 'invalid_request_error',
    retry: false,
    description: 'No tier of the route can hold the prompt plus the requested output.',
  },
  unsupported_endpoint: {
    status: 400,
    type: 'invalid_request_error',
    retry: false,
    description: 'The route has no backend serving this endpoint (e.g. embeddings).',
  },
  invalid_api_key: {
    status: 401,
    type: 'authentication_error',
    retry: false,
    description: 'The API key is missing, unknown, revoked or malformed.',
  },
  route_not_allowed: {
    status: 403,
    type: 'permission_error',
    retry: false,
    description: 'The key may not use this route.',
  },
  origin_not_allowed: {
    status: 403,
    type: 'permission_error',
    retry: false,
    description: 'A browser preflight from an origin not in server.cors.origins.',
  },
  model_not_found: {
    status: 404,
    type: 'invalid_request_error',
    retry: false,
    description: 'The model names neither a route nor a backend.',
  },
  not_found: { status: 404, type: 'invalid_request_error', retry: false, description: 'No such path.' },
  method_not_allowed: {
    status: 405,
    type: 'invalid_request_error',
    retry: false,
    description: 'The path exists for another method.',
  },
  request_timeout: {
    status: 408,
    type: 'invalid_request_error',
    retry: true,
    description: 'The request did not arrive in full within server.requestTimeoutMs.',
  },
  request_too_large: {
    status: 413,
    type: 'invalid_request_error',
    retry: false,
    description: 'The body is larger than server.bodyLimitBytes.',
  },
  headers_too_large: {
    status: 431,
    type: 'invalid_request_error',
    retry: false,
    description: 'The request headers are larger than the server accepts (16 KB).',
  },
  rate_limit_exceeded: {
    status: 429,
    type: 'rate_limit_error',
    retry: true,
    description: 'A rate limit was hit; `retry-after` says when to come back.',
  },
  insufficient_quota: {
    status: 429,
    type: 'insufficient_quota',
    retry: false,
    description: 'The budget is spent for this period.',
  },
  upstream_rate_limited: {
    status: 429,
    type: 'rate_limit_error',
    retry: true,
    description: 'Every backend that could serve the request is rate limiting; `retry-after` is passed on.',
  },
  upstream_rejected: {
    status: 400,
    type: 'invalid_request_error',
    retry: false,
    description: 'The backend refused the request itself (status and message passed through).',
  },
  upstream_error: {
    status: 502,
    type: 'api_error',
    retry: true,
    description: 'The backend failed or gave an unusable answer.',
  },
  key_store_unavailable: {
    status: 503,
    type: 'api_error',
    retry: true,
    description: 'Keys added through the admin API cannot be checked: the state store does not answer.',
  },
  budget_unavailable: {
    status: 503,
    type: 'api_error',
    retry: true,
    description: 'The state store holding budgets is down and budgets fail closed.',
  },
  no_backend_available: {
    status: 503,
    type: 'api_error',
    retry: true,
    description: 'No backend of the route could be reached.',
  },
  shutting_down: {
    status: 503,
    type: 'api_error',
    retry: true,
    description: 'This replica is draining; retry goes to another.',
  },
  upstream_timeout: { status: 504, type: 'api_error', retry: true, description: 'The backend did not answer in time.' },
  internal_error: {
    status: 500,
    type: 'server_error',
    retry: true,
    description: 'A bug in Sluice; the log line has the cause.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;
