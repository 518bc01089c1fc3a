// The admin API, on when an admin key is set: mint and revoke virtual keys without a restart (they live in the
// state store, shared by replicas) and read a tenant's spend. Responses carry a new key once; only hashes are kept.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { keyLimits } from '../config/schema.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { StateStore } from '../state/store.js';
import { bearer, hashKey, mintKey, revokedRecord } from '../tenants/key-registry.js';
import { spendKeys } from '../tenants/limit-checks.js';

const newKey = z.strictObject({
  tenant: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/),
  routes: z.array(z.string().min(1)).optional(),
  ...keyLimits,
});

export function registerAdminRoutes(app: FastifyInstance, opts: { adminKey: string; store: StateStore }): void {
  const expected = createHash('sha256').update(opts.adminKey).digest();
  const authorize = (request: FastifyRequest) => {
    const token = bearer(request.headers.authorization);
    const given = createHash('sha256')
      .update(token ?? '')
      .digest();
    if (!token || !timingSafeEqual(given, expected))
      throw new SluiceError('invalid_api_key', 'The admin API needs the admin key.');
  };

  app.post('/admin/keys', async (request, reply) => {
    authorize(request);
    const parsed = newKey.safeParse(request.body);
    if (!parsed.success)
      throw new SluiceError('invalid_request', `Invalid key settings: ${parsed.error.issues[0]?.message}`, {
        param: parsed.error.issues[0]?.path.join('.') ?? '',
      });
    const key = mintKey();
    const sha256 = hashKey(key);
    await opts.store.keyPut(sha256, JSON.stringify({ ...parsed.data, sha256, revoked: false }));
    request.log.info({ tenant: parsed.data.tenant, sha256 }, 'admin: key created');
    return reply.code(201).send({ key, sha256, tenant: parsed.data.tenant });
  });

  app.delete<{ Params: { sha256: string } }>('/admin/keys/:sha256', async (request) => {
    authorize(request);
    const current = await opts.store.keyGet(request.params.sha256);
    if (!current) throw new SluiceError('not_found', 'No key with that hash was created through the admin API.');
    await opts.store.keyPut(request.params.sha256, revokedRecord(current, request.params.sha256));
    request.log.info({ sha256: request.params.sha256 }, 'admin: key revoked');
    return { sha256: request.params.sha256, revoked: true };
  });

  app.get<{ Params: { tenant: string } }>('/admin/tenants/:tenant/spend', async (request) => {
    authorize(request);
    const now = new Date();
    const iso = now.toISOString();
    const t = request.params.tenant;
    const keys = spendKeys(t, now);
    const [day, month] = await opts.store.spendRead([keys.day, keys.month]);
    return { tenant: t, day: iso.slice(0, 10), dayUsd: day! / 1e9, month: iso.slice(0, 7), monthUsd: month! / 1e9 };
  });
}
