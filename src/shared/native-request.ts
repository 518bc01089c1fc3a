// A client's request in its own protocol, carried beside its chat translation. A shape only.

/**
 * The client's own request, when it came through a door whose protocol some backends speak natively (the Messages
 * door, Anthropic backends): those get it as sent (thinking blocks with their signatures, betas, fields Sluice
 * does not know), only the model replaced; the others get the chat translation.
 */
export interface NativeRequest {
  /** anthropic: a Messages-door request; openai-responses: a Responses-door request. */
  protocol: 'anthropic' | 'openai-responses';
  body: Record<string, unknown>;
  /** Protocol headers to pass on (anthropic-version, anthropic-beta). */
  headers: Record<string, string>;
}
