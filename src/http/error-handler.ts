// The one funnel that writes error bodies: every thrown error becomes the OpenAI error shape with the right
// status. 5xx messages from unknown errors are hidden (the cause goes to the log).
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { anthropicErrorType } from '../doors/anthropic-errors.js';
import { errorCatalogue } from '../errors/catalogue.js';
import { SluiceError, toSluiceError } from '../errors/sluice-error.js';

/** Maps fastify's own errors (body parsing, limits) to catalogue codes. */
export function fromFastifyError(err: FastifyError, request: FastifyRequest): SluiceError | undefined {
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity' && err.code?.startsWith('FST_ERR_CTP_')) {
    return new SluiceError(
      'invalid_request',
      `content-encoding ${encoding} is not supported: send the body uncompressed`,
      { param: 'content-encoding' },
    );
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SluiceError('request_too_large', 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SluiceError('invalid_json', 'the request body must be JSON with content-type application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new SluiceError('invalid_json', 'the request body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new SluiceError('invalid_request', 'the content-length header does not match the body');
  }
  // Only the body parser's own error: a SyntaxError thrown while handling (a stored record that is not JSON) is
  // Sluice's problem, not the client's JSON, and stays a hidden 500.
  if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new SluiceError(
      'invalid_json',
      'We could not parse the JSON body of your request. Send a valid JSON object.',
    );
  }
  if (err.statusCode === 400) return new SluiceError('invalid_request', err.message);
  return undefined;
}

/** The error's own headers (retry-after, x-sluice-*), and `x-should-retry: false` when retrying cannot succeed. */
function errorHeaders(error: SluiceError): Record<string, string> {
  return errorCatalogue[error.code].retry ? error.headers : { ...error.headers, 'x-should-retry': 'false' };
}

/** The error in the shape of the door it answers: Anthropic's for /v1/messages, OpenAI's everywhere else. */
export function sendError(reply: FastifyReply, error: SluiceError): FastifyReply {
  const body = reply.request.url.startsWith('/v1/messages')
    ? { type: 'error', error: { type: anthropicErrorType(error.status), message: error.message } }
    : error.toBody();
  return reply.code(error.status).headers(errorHeaders(error)).type('application/json').send(body);
}

/**
 * Answers a connection whose request never became one: it did not arrive in time, its headers were too large, or
 * it was not HTTP. There is no reply object yet, so the response is written on the socket, then the socket closed.
 */
export function clientErrorHandler(
  onRejected: (error: SluiceError) => void,
): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const error =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new SluiceError('request_timeout', 'the request did not arrive in full in time; send it again')
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? new SluiceError('headers_too_large', 'the request headers are too large')
          : new SluiceError('invalid_request', 'the request is not valid HTTP');
    onRejected(error);
    if (socket.writable) {
      const body = JSON.stringify(error.toBody());
      const headers = Object.entries(errorHeaders(error))
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(
        `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers}connection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

export function registerErrorHandling(
  app: FastifyInstance,
  opts: { onError: (request: FastifyRequest, error: SluiceError) => void },
): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const error = err instanceof SluiceError ? err : (fromFastifyError(err, request) ?? toSluiceError(err));
    if (error.status >= 500) request.log.error({ err: error.cause ?? err, code: error.code }, 'request failed');
    opts.onError(request, error);
    return sendError(reply, error);
  });
  // Every route as it is added, so a path served for other methods answers 405 with them instead of 404.
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    routes.push({ pattern: routePattern(route.url ?? route.path), methods: [route.method].flat() });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allow = [...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods))];
    const error =
      allow.length > 0
        ? new SluiceError(
            'method_not_allowed',
            `${request.method} is not served on ${path.slice(0, 200)}; use ${allow.join(' or ')}.`,
            { headers: { allow: allow.join(', ') } },
          )
        : new SluiceError(
            'not_found',
            `Unknown request URL: ${request.method} ${path.slice(0, 200)}.${path.startsWith('/v1/') ? servedApis() : ''}`,
          );
    return sendError(reply, error);
  });
}

/** A fastify route URL as a pattern: `:name` one path segment, `*` the rest. */
function routePattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((seg) => (seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

/** What a client calling an API Sluice does not serve should use. */
function servedApis(): string {
  return ' Sluice serves /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses, /v1/messages, /v1/messages/count_tokens and /v1/models.';
}
