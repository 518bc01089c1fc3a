// Anthropic's error types by status, for the Messages door's errors and stream error events. Pure.

/** Anthropic's error type for a status. */
export function anthropicErrorType(status: number): string {
  if (status === 400 || status === 405 || status === 408 || status === 431) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  return 'api_error';
}
