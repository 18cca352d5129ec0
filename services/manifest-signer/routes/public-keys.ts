import type { HttpApp } from '../../../shared/http/index.js';
import { isSigningError, type ManifestKeyRing } from '../../../shared/signing/index.js';
import { signingProblem } from '../errors.js';

/** GET /v1/public-keys: every enabled key version as PEM, by keyid. Public keys are not secret: no token. */
export function publicKeyRoutes(app: HttpApp, deps: { keyRing: ManifestKeyRing; cacheSeconds: number }): void {
  app.get('/v1/public-keys', async (_request, reply) => {
    let keys;
    try {
      keys = await deps.keyRing.publicKeys();
    } catch (err) {
      throw isSigningError(err) ? signingProblem(err, 'list-keys') : err;
    }
    reply.header('Cache-Control', `public, max-age=${deps.cacheSeconds}`);
    return { keys };
  });
}
