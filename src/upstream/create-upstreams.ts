// Builds one Upstream per configured backend, choosing the implementation from a map keyed by protocol.
import type { LoadedConfig } from '../config/load-config.js';
import type { BackendConfig } from '../config/schema.js';
import { createMockUpstream } from './mock-upstream.js';
import { createOpenAIUpstream } from './openai-upstream.js';
import { anthropicWire } from './anthropic-wire.js';
import type { Upstream } from './types.js';

const protocols: Record<BackendConfig['protocol'], (b: BackendConfig, loaded: LoadedConfig) => Upstream> = {
  openai: (b, loaded) => createOpenAIUpstream(b, loaded.secrets.get(b.id), loaded.proxies.get(b.id)),
  anthropic: (b, loaded) => createOpenAIUpstream(b, loaded.secrets.get(b.id), loaded.proxies.get(b.id), anthropicWire),
  mock: (b) => createMockUpstream(b),
};

export function createUpstreams(loaded: LoadedConfig): Map<string, Upstream> {
  return new Map(loaded.config.backends.map((b) => [b.id, protocols[b.protocol](b, loaded)]));
}

export async function closeUpstreams(upstreams: Map<string, Upstream>): Promise<void> {
  await Promise.allSettled([...upstreams.values()].map((u) => u.close()));
}
