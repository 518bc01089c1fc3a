// Virtual keys: the client's key is hashed (SHA-256) and matched against configured hashes with a constant-time
// comparison; keys are never stored or logged. Unknown, revoked and malformed keys get one and the same error.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { keySchema, type KeyConfig } from '../config/schema.js';
import { SluiceError } from '../errors/sluice-error.js';
import { asObject, parseJson } from '../openai/wire-values.js';

export interface Tenant {
  name: string;
  key: KeyConfig;
}

export interface KeyRegistry {
  /** No keys configured: every request is let in (the gateway says so loudly at startup). */
  readonly open: boolean;
  /** The tenant behind the request's key; throws 401 when there is none. Undefined when the gateway is open. */
  authenticate(headers: Record<string, string | string[] | undefined>): Promise<Tenant | undefined>;
  /** Throws 403 when the tenant may not use this model name (of the route `route`). */
  authorize(tenant: Tenant | undefined, model: string, route: string): void;
}

/** A new random key; only its hash is ever stored. */
export function mintKey(): string {
  return `sk-sluice-${randomBytes(24).toString('base64url')}`;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const invalid = () => new SluiceError('invalid_api_key', 'Incorrect API key provided. Check the key Sluice gave you.');

export interface ManagedKeys {
  get(sha256: string): Promise<string | undefined>;
}

/**
 * Keys come from the config and, when an admin key is set, from the state store (added and revoked through the
 * admin API without a restart). Store lookups are cached for `cacheMs`, so a revocation reaches every replica
 * within that time; a store that does not answer fails closed.
 */
export function createKeyRegistry(
  keys: readonly KeyConfig[],
  managed?: ManagedKeys,
  opts: { cacheMs?: number; now?: () => number } = {},
): KeyRegistry {
  const byHash = new Map(keys.map((k) => [k.sha256, k]));
  const cache = new Map<string, { key: KeyConfig | undefined; expires: number }>();
  const now = opts.now ?? Date.now;
  const fromStore = async (sha: string): Promise<KeyConfig | undefined> => {
    const hit = cache.get(sha);
    if (hit && hit.expires > now()) return hit.key;
    let value: string | undefined;
    try {
      value = await managed!.get(sha);
    } catch (err) {
      throw new SluiceError('key_store_unavailable', 'Keys cannot be checked right now; retry shortly.', {
        cause: err,
      });
    }
    const key = value === undefined ? undefined : storedKey(value, sha);
    if (cache.size > 10_000) cache.clear();
    cache.set(sha, { key, expires: now() + (opts.cacheMs ?? 2_000) });
    return key;
  };
  const open = keys.length === 0 && !managed;
  return {
    open,
    async authenticate(headers) {
      if (open) return undefined;
      // Bearer (OpenAI SDKs), api-key (Azure clients), x-api-key (Anthropic SDKs, Claude Code).
      const token = bearer(headers.authorization) ?? single(headers['api-key']) ?? single(headers['x-api-key']);
      if (!token || token.length > 512) throw invalid();
      const digest = createHash('sha256').update(token, 'utf8').digest();
      const sha = digest.toString('hex');
      const key = byHash.get(sha) ?? (managed ? await fromStore(sha) : undefined);
      if (!key || !timingSafeEqual(Buffer.from(key.sha256, 'hex'), digest) || key.revoked) throw invalid();
      return { name: key.tenant, key };
    },
    authorize(tenant, model, route) {
      // A route name on the key covers the route's aliases (the names apps already use, e.g. gpt-4o-mini).
      if (tenant?.key.routes && !tenant.key.routes.includes(model) && !tenant.key.routes.includes(route)) {
        throw new SluiceError('route_not_allowed', `This key may not use the model '${model}'.`, { param: 'model' });
      }
    },
  };
}

/**
 * A key record as the admin API stored it. One that does not read as a key for this hash (edited by hand, written
 * by another version) refuses the request as a store failure, with why in the log, instead of throwing a TypeError.
 */
function storedKey(value: string, sha: string): KeyConfig {
  const record = parseJson(value);
  const parsed = record === undefined ? undefined : keySchema.safeParse(record);
  if (parsed?.success && parsed.data.sha256 === sha) return parsed.data;
  // A revocation holds even when the rest of the record is unreadable: the admin API writes one over any record.
  const fields = asObject(record);
  if (fields?.revoked === true && fields.sha256 === sha) return { tenant: 'revoked', sha256: sha, revoked: true };
  const why = !parsed
    ? 'is not JSON'
    : parsed.success
      ? 'names another hash'
      : `is invalid at ${parsed.error.issues[0]?.path.join('.') || '(root)'}: ${parsed.error.issues[0]?.message}`;
  throw new SluiceError('key_store_unavailable', 'Keys cannot be checked right now; retry shortly.', {
    cause: new Error(`stored key record ${sha.slice(0, 12)}… ${why}`),
  });
}

/**
 * The record the admin API writes to revoke a key: the stored one marked revoked, or, when the stored one is not a
 * JSON object (edited by hand), a bare revocation, which the registry refuses as revoked whatever it held before.
 */
export function revokedRecord(current: string, sha256: string): string {
  return JSON.stringify({ ...asObject(parseJson(current)), sha256, revoked: true });
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearer(v: string | string[] | undefined): string | undefined {
  const s = single(v);
  const m = s ? /^Bearer\s+(\S+)$/i.exec(s) : null;
  return m?.[1];
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
