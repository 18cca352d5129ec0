import { Router } from 'express';
import { isSigningError, type ManifestKeyRing } from '../../../shared/signing/index.js';
import { signingProblem } from '../errors.js';

/** GET /v1/public-keys: every enabled key version as PEM, by keyid. Public keys are not secret: no token. */
export function publicKeyRoutes(deps: { keyRing: ManifestKeyRing; cacheSeconds: number }): Router {
  const router = Router();
  router.get('/v1/public-keys', async (_req, res) => {
    let keys;
    try {
      keys = await deps.keyRing.publicKeys();
    } catch (err) {
      throw isSigningError(err) ? signingProblem(err, 'list-keys') : err;
    }
    res.setHeader('Cache-Control', `public, max-age=${deps.cacheSeconds}`);
    res.status(200).json({ keys });
  });
  return router;
}
