import { AppError } from '../errors/app-error.js';

/** Stable codes of a 401: callers and dashboards key on them, so they never change meaning. */
export type TokenErrorCode =
  | 'token_missing'
  | 'token_malformed'
  | 'token_expired'
  | 'token_signature_invalid'
  | 'token_algorithm_not_allowed'
  | 'token_claim_invalid';

/**
 * A 401 carrying the RFC 6750 challenge. `description` is ours, never the token or a value copied from it.
 * A request without credentials gets a bare challenge: RFC 6750 §3.1 says not to send an error code then.
 */
export function tokenError(code: TokenErrorCode, description: string, cause?: unknown): AppError {
  const challenge =
    code === 'token_missing'
      ? 'Bearer'
      : `Bearer error="invalid_token", error_description="${headerSafe(description)}"`;
  return new AppError({
    code,
    status: 401,
    title: 'Unauthorized',
    detail: description,
    headers: { 'WWW-Authenticate': challenge },
    cause,
  });
}

/** A 403 for a valid token that holds none of the scopes the route accepts. */
export function insufficientScopeError(accepted: readonly string[]): AppError {
  const list = accepted.join(' ');
  return new AppError({
    code: 'insufficient_scope',
    status: 403,
    title: 'Forbidden',
    detail: `this operation needs one of the scopes: ${list}`,
    extra: { required_scopes: [...accepted] },
    headers: {
      'WWW-Authenticate': `Bearer error="insufficient_scope", error_description="the token lacks the required scope", scope="${headerSafe(list)}"`,
    },
  });
}

// RFC 6750 §3: error_description and scope may hold only %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash).
function headerSafe(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "'");
}
