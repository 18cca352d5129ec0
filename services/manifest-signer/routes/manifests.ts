import type { FastifyRequest } from 'fastify';
import { authenticate, insufficientScopeError, principalOf, type JwtVerifier } from '../../../shared/auth/index.js';
import { requestLogOf, type HttpApp } from '../../../shared/http/index.js';
import type { Logger } from '../../../shared/telemetry/index.js';
import { signManifest, type SignManifestDeps } from '../sign-manifest.js';

/**
 * The scope a caller needs to have a manifest signed. Dedicated rather than platform.admin: administering
 * tenants must not be enough to ship code to every desktop. Granted only to the release pipeline's identity.
 */
export const MANIFEST_SIGN_SCOPE = 'manifest.sign';

async function requireSignScope(request: FastifyRequest): Promise<void> {
  if (!principalOf(request).scopes.has(MANIFEST_SIGN_SCOPE)) throw insufficientScopeError([MANIFEST_SIGN_SCOPE]);
}

/**
 * POST /v1/manifests:sign (a literal colon is written `::` in a fastify path). The token and its scope are
 * checked (onRequest) before the body is read.
 */
export function manifestRoutes(app: HttpApp, deps: SignManifestDeps & { verifier: Pick<JwtVerifier, 'verify'>; bodyLimitBytes: number; logger: Logger }): void {
  app.post('/v1/manifests::sign', { onRequest: [authenticate(deps.verifier), requireSignScope], bodyLimit: deps.bodyLimitBytes }, async (request) => {
    const caller = principalOf(request);
    const signed = await signManifest(deps, request.body, caller);
    // The audit line: what was signed, with which key, for whom (the same facts are in the manifests table).
    requestLogOf(request, deps.logger).info(
      { channel: signed.payload.channel, version: signed.payload.version, keyid: signed.signatures[0]?.keyid, requested_by: caller.subject, requested_by_tenant: caller.tenantId },
      'manifest signed',
    );
    return signed;
  });
}
