// The body sent to one backend: the client's body with the backend's model, and stream usage requested. Pure.
import type { BackendConfig } from '../config/schema.js';

export function upstreamBody(body: Record<string, unknown>, backend: BackendConfig, stream: boolean, opts: { logprobs?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, model: backend.model };
  if (opts.logprobs) out.logprobs = true;
  if (!stream) return out;
  if (backend.streamUsage) out.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };
  else delete out.stream_options;
  return out;
}
