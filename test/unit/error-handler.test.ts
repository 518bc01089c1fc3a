import type { FastifyError, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { fromFastifyError } from '../../src/http/error-handler.js';

const request = { headers: {} } as FastifyRequest;
const fastifyError = (code: string, statusCode = 400) =>
  Object.assign(new Error(code), { code, statusCode }) as FastifyError;

describe('fastify errors to catalogue codes', () => {
  it("only the body parser's own error is the client's invalid JSON", () => {
    expect(fromFastifyError(fastifyError('FST_ERR_CTP_INVALID_JSON_BODY'), request)?.code).toBe('invalid_json');
    // A SyntaxError thrown while handling (a stored record that is not JSON) is Sluice's: no mapping, so a hidden 500.
    expect(fromFastifyError(new SyntaxError('Unexpected token') as FastifyError, request)).toBeUndefined();
  });
  it('maps body limits and media types', () => {
    expect(fromFastifyError(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), request)?.code).toBe('request_too_large');
    expect(fromFastifyError(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), request)?.code).toBe('invalid_json');
    expect(
      fromFastifyError(fastifyError('FST_ERR_CTP_INVALID_JSON_BODY'), {
        headers: { 'content-encoding': 'gzip' },
      } as unknown as FastifyRequest)?.param,
    ).toBe('content-encoding');
  });
});
