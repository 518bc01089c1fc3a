// Cross-origin calls from browser apps (the OpenAI API allows them, and its SDK can run in a browser). Off unless
// `server.cors.origins` lists origins or `*`: a gateway that spends money should choose who may call it from a web
// page. Preflights are answered here; an origin not listed gets no CORS headers, and its preflight a 403.
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../errors/sluice-error.js';
import { sendError } from './error-handler.js';

/** What a browser app may read of an answer: the request id, routing and cost headers, and the rate-limit ones. */
const exposed = [
  'x-request-id',
  'x-sluice-route',
  'x-sluice-backend',
  'x-sluice-tier',
  'x-sluice-attempts',
  'x-sluice-escalations',
  'x-sluice-size',
  'x-sluice-difficulty',
  'x-sluice-cost-usd',
  'x-sluice-saved-usd',
  'x-sluice-cache',
  'retry-after',
  'x-should-retry',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
].join(', ');

export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const any = origins.includes('*');
  const listed = new Set(origins);
  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined) return done();
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    if (!any && !listed.has(origin)) {
      if (!preflight) return done();
      sendError(
        reply,
        new SluiceError(
          'origin_not_allowed',
          `The origin ${origin.slice(0, 100)} may not call this gateway from a browser (server.cors.origins).`,
        ),
      );
      return;
    }
    reply.header('access-control-allow-origin', any ? '*' : origin);
    if (!any) reply.header('vary', 'origin');
    if (!preflight) {
      reply.header('access-control-expose-headers', exposed);
      return done();
    }
    reply
      .code(204)
      .headers({
        'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
        'access-control-allow-headers':
          request.headers['access-control-request-headers'] ?? 'authorization, content-type',
        'access-control-max-age': '600',
      })
      .send();
  });
}
