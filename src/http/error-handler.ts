// The one funnel that writes error bodies: every thrown error becomes the OpenAI error shape with the right
// status. 5xx messages from unknown errors are hidden (the cause goes to the log).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorCatalogue } from '../errors/catalogue.js';
import { SluiceError, toSluiceError } from '../errors/sluice-error.js';

/** Maps fastify's own errors (body parsing, limits) to catalogue codes. */
export function fromFastifyError(err: FastifyError, request: FastifyRequest): SluiceError | undefined {
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity' && err.code?.startsWith('FST_ERR_CTP_')) {
    return new SluiceError('invalid_request', `content-encoding ${encoding} is not supported: send the body uncompressed`, { param: 'content-encoding' });
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
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new SluiceError('invalid_json', 'We could not parse the JSON body of your request. Send a valid JSON object.');
  }
  if (err.statusCode === 400) return new SluiceError('invalid_request', err.message);
  return undefined;
}

export function sendError(reply: FastifyReply, error: SluiceError): FastifyReply {
  reply.code(error.status);
  for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
  if (!errorCatalogue[error.code].retry) reply.header('x-should-retry', 'false');
  return reply.type('application/json').send(error.toBody());
}

export function registerErrorHandling(app: FastifyInstance, opts: { onError: (request: FastifyRequest, error: SluiceError) => void }): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const error = err instanceof SluiceError ? err : fromFastifyError(err, request) ?? toSluiceError(err);
    if (error.status >= 500) request.log.error({ err: error.cause ?? err, code: error.code }, 'request failed');
    opts.onError(request, error);
    return sendError(reply, error);
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new SluiceError('not_found', `Unknown request URL: ${request.method} ${request.url.split('?')[0]}.`);
    return sendError(reply, error);
  });
}
