import { Router, type RequestHandler } from 'express';
import { authenticate, insufficientScopeError, principalOf, type JwtVerifier } from '../../../shared/auth/index.js';
import { jsonBody } from '../../../shared/http/index.js';
import type { Logger } from '../../../shared/telemetry/index.js';
import { signManifest, type SignManifestDeps } from '../sign-manifest.js';

/**
 * The scope a caller needs to have a manifest signed. Dedicated rather than platform.admin: administering
 * tenants must not be enough to ship code to every desktop. Granted only to the release pipeline's identity.
 */
export const MANIFEST_SIGN_SCOPE = 'manifest.sign';

function requireSignScope(): RequestHandler {
  return (_req, res, next) => {
    if (principalOf(res).scopes.has(MANIFEST_SIGN_SCOPE)) return next();
    next(insufficientScopeError([MANIFEST_SIGN_SCOPE]));
  };
}

/**
 * POST /v1/manifests:sign (the literal colon is escaped for path-to-regexp). Authentication sits on the
 * route itself: a mount path like `/v1/manifests` would not match `/v1/manifests:sign`.
 */
export function manifestRoutes(deps: SignManifestDeps & { verifier: Pick<JwtVerifier, 'verify'>; bodyLimitBytes: number; logger: Pick<Logger, 'info'> }): Router {
  const router = Router();
  router.post('/v1/manifests\\:sign', authenticate(deps.verifier), requireSignScope(), jsonBody(deps.bodyLimitBytes), async (req, res) => {
    const caller = principalOf(res);
    const signed = await signManifest(deps, req.body, caller);
    // The audit line: what was signed, with which key, for whom (the same facts are in the manifests table).
    const log = (res.locals.log ?? deps.logger) as Pick<Logger, 'info'>;
    log.info(
      { channel: signed.payload.channel, version: signed.payload.version, keyid: signed.signatures[0]?.keyid, requested_by: caller.subject, requested_by_tenant: caller.tenantId },
      'manifest signed',
    );
    res.status(200).json(signed);
  });
  return router;
}
