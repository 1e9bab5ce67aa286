// One table of error codes: each maps to an HTTP status and the `error` name of the envelope
// (CONTRACT §2). Services throw AppError with a code; only the HTTP error handler turns it into a response.
export const ERROR_CODES = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  RequestTimeout: 408,
  Conflict: 409,
  PreconditionFailed: 412,
  PayloadTooLarge: 413,
  URITooLong: 414,
  UnsupportedMediaType: 415,
  UnprocessableEntity: 422,
  TooManyRequests: 429,
  RequestHeaderFieldsTooLarge: 431,
  InternalError: 500,
  ServiceUnavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

const NAME_BY_STATUS = new Map<number, ErrorCode>(
  Object.entries(ERROR_CODES).map(([name, status]) => [status, name as ErrorCode]),
);

/** The envelope name for a status; unknown 4xx read as BadRequest, unknown 5xx as InternalError. */
export function errorNameFor(status: number): ErrorCode {
  return NAME_BY_STATUS.get(status) ?? (status >= 500 ? 'InternalError' : 'BadRequest');
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly messages: string[];
  constructor(code: ErrorCode, messages: string | string[]) {
    const list = Array.isArray(messages) ? messages : [messages];
    super(list.join('; '));
    this.code = code;
    this.messages = list;
  }
  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export const badRequest = (messages: string | string[]) => new AppError('BadRequest', messages);
export const notFound = (message: string) => new AppError('NotFound', message);
export const forbidden = (message: string) => new AppError('Forbidden', message);
