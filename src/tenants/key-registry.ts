// Virtual keys: the client's key is hashed (SHA-256) and matched against configured hashes with a constant-time
// comparison; keys are never stored or logged. Unknown, revoked and malformed keys get one and the same error.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { KeyConfig } from '../config/schema.js';
import { SluiceError } from '../errors/sluice-error.js';

export interface Tenant {
  name: string;
  key: KeyConfig;
}

export interface KeyRegistry {
  /** No keys configured: every request is let in (the gateway says so loudly at startup). */
  readonly open: boolean;
  /** The tenant behind the request's key; throws 401 when there is none. Undefined when the gateway is open. */
  authenticate(headers: Record<string, string | string[] | undefined>): Tenant | undefined;
  /** Throws 403 when the tenant may not use this model name. */
  authorize(tenant: Tenant | undefined, model: string): void;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const invalid = () => new SluiceError('invalid_api_key', 'Incorrect API key provided. Check the key Sluice gave you.');

export function createKeyRegistry(keys: readonly KeyConfig[]): KeyRegistry {
  const byHash = new Map(keys.map((k) => [k.sha256, k]));
  return {
    open: keys.length === 0,
    authenticate(headers) {
      if (keys.length === 0) return undefined;
      const token = bearer(headers.authorization) ?? single(headers['api-key']);
      if (!token || token.length > 512) throw invalid();
      const digest = createHash('sha256').update(token, 'utf8').digest();
      const key = byHash.get(digest.toString('hex'));
      if (!key || !timingSafeEqual(Buffer.from(key.sha256, 'hex'), digest) || key.revoked) throw invalid();
      return { name: key.tenant, key };
    },
    authorize(tenant, model) {
      if (tenant?.key.routes && !tenant.key.routes.includes(model)) {
        throw new SluiceError('route_not_allowed', `This key may not use the model '${model}'.`, { param: 'model' });
      }
    },
  };
}

function bearer(v: string | string[] | undefined): string | undefined {
  const s = single(v);
  const m = s ? /^Bearer\s+(\S+)$/i.exec(s) : null;
  return m?.[1];
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
