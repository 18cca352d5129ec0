import type { FastifyRequest } from 'fastify';
import { insufficientScopeError, tokenError } from './errors.js';
import type { Principal } from './principal.js';
import type { Scope } from './scopes.js';
import type { JwtVerifier } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; set by authenticate(). */
    principal: Principal | null;
  }
}

/**
 * Verifies `Authorization: Bearer <JWT>` and stores the Principal on the request (principalOf reads it).
 * As an onRequest hook it runs before the body is read. Failures throw 401 AppErrors.
 */
export function authenticate(verifier: Pick<JwtVerifier, 'verify'>): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const header = request.headers.authorization?.trim();
    if (!header) throw tokenError('token_missing', 'the request has no Authorization header');
    const [scheme = '', ...credentials] = header.split(/\s+/);
    // RFC 7235: the scheme name is case-insensitive.
    if (scheme.toLowerCase() !== 'bearer') {
      throw tokenError('token_missing', 'the Authorization header does not use the Bearer scheme');
    }
    if (credentials.length !== 1) {
      throw tokenError('token_malformed', 'the Authorization header must be Bearer followed by exactly one token');
    }
    request.principal = await verifier.verify(credentials[0] as string);
  };
}

/** A preHandler that lets the request through when the principal holds at least one of `scopes`; 403 insufficient_scope otherwise. */
export function requireScope(...scopes: [Scope, ...Scope[]]): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const principal = principalOf(request);
    if (!scopes.some((scope) => principal.scopes.has(scope))) throw insufficientScopeError(scopes);
  };
}

/** The caller established by authenticate(); a route that reaches this without it is wired wrongly. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw new Error('principalOf: authenticate() did not run before this handler');
  return principal;
}
