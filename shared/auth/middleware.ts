import type { RequestHandler, Response } from 'express';
import { insufficientScopeError, tokenError } from './errors.js';
import type { Principal } from './principal.js';
import type { Scope } from './scopes.js';
import type { JwtVerifier } from './verifier.js';

/**
 * Verifies `Authorization: Bearer <JWT>` and stores the Principal in `res.locals.principal`.
 * Failures go to next(err) as 401 AppErrors; the app's error handler writes the response.
 */
export function authenticate(verifier: Pick<JwtVerifier, 'verify'>): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization?.trim();
    if (!header) return next(tokenError('token_missing', 'the request has no Authorization header'));
    const [scheme = '', ...credentials] = header.split(/\s+/);
    // RFC 7235: the scheme name is case-insensitive.
    if (scheme.toLowerCase() !== 'bearer') {
      return next(tokenError('token_missing', 'the Authorization header does not use the Bearer scheme'));
    }
    if (credentials.length !== 1) {
      return next(tokenError('token_malformed', 'the Authorization header must be Bearer followed by exactly one token'));
    }
    verifier.verify(credentials[0] as string).then((principal) => {
      res.locals.principal = principal;
      next();
    }, next);
  };
}

/** Lets the request through when the principal holds at least one of `scopes`; 403 insufficient_scope otherwise. */
export function requireScope(...scopes: [Scope, ...Scope[]]): RequestHandler {
  return (_req, res, next) => {
    const principal = principalOf(res);
    if (scopes.some((scope) => principal.scopes.has(scope))) return next();
    next(insufficientScopeError(scopes));
  };
}

/** The caller established by authenticate(); a route that reaches this without it is wired wrongly. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('principalOf: authenticate() did not run before this handler');
  return principal;
}
