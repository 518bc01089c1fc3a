// The one error type handlers throw; the http error handler turns it into the OpenAI error shape.
import { errorCatalogue, type ErrorCode } from './catalogue.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

export class SluiceError extends Error {
  readonly status: number;
  readonly param: string | null;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    opts: { param?: string; status?: number; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'SluiceError';
    this.status = opts.status ?? errorCatalogue[code].status;
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
  }

  get retryable(): boolean {
    return errorCatalogue[this.code].retry;
  }

  toBody(): OpenAIErrorBody {
    return {
      error: { message: this.message, type: errorCatalogue[this.code].type, param: this.param, code: this.code },
    };
  }
}

/** Anything thrown becomes a SluiceError; unknown errors hide their message (it is logged, not sent). */
export function toSluiceError(err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  return new SluiceError('internal_error', 'internal error', { cause: err });
}

/** The model names neither a route nor a backend. The name is echoed as OpenAI does, cut short if it is long. */
export function modelNotFound(model: string): SluiceError {
  const shown = model.length > 100 ? `${model.slice(0, 100)}…` : model;
  return new SluiceError('model_not_found', `The model '${shown}' does not exist or you do not have access to it.`, {
    param: 'model',
  });
}
