import { ERROR_KINDS, ErrorKind } from './generated/rest';

/**
 * A failure of labcontainer's REST API, with the server's one-paragraph message
 * meant for the user and the contract's ErrorKind.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind,
    readonly status: number
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Whether a value is one of the contract's error kinds. */
export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && (ERROR_KINDS as readonly string[]).includes(value);
}

/** Any thrown value as an ApiError (unexpected ones become InternalError). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) {
    return error;
  }
  const text = error instanceof Error ? error.message : String(error);
  return new ApiError(`Unexpected problem in the panel: ${text}`, 'InternalError', 0);
}
