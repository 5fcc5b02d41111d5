/**
 * Bot API errors carry the exact wire description (prefix included) so that the HTTP layer can
 * answer `{"ok":false,"error_code":N,"description":...}` with HTTP status N, as the real server does.
 */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

export const badRequest = (detail: string): ApiError => new ApiError(400, `Bad Request: ${detail}`);
export const forbidden = (detail: string): ApiError => new ApiError(403, `Forbidden: ${detail}`);
export const conflict = (detail: string): ApiError => new ApiError(409, `Conflict: ${detail}`);
export const tooManyRequests = (retryAfter: number): ApiError =>
  new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
