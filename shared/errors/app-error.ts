/**
 * An error a caller can act on: a stable machine-readable `code`, the HTTP status it maps to, and a
 * human-readable detail. The HTTP layer turns it into problem+json in one place (shared/http/problem.ts).
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(opts: {
    code: string;
    status: number;
    title: string;
    detail: string;
    extra?: Record<string, unknown>;
    headers?: Record<string, string>;
    cause?: unknown;
  }) {
    super(opts.detail, { cause: opts.cause });
    this.name = 'AppError';
    this.code = opts.code;
    this.status = opts.status;
    this.title = opts.title;
    this.detail = opts.detail;
    this.extra = opts.extra ?? {};
    this.headers = opts.headers ?? {};
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;
