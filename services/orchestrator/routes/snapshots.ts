import { Router } from 'express';
import { principalOf, requireScope, SCOPES } from '../../../shared/auth/index.js';
import { AppError } from '../../../shared/errors/app-error.js';
import {
  checkSignedPath,
  checkSnapshotRef,
  LOCAL_DOWNLOAD_PREFIX,
  localDownloadPath,
  localSnapshotExists,
  localSnapshotFile,
  type SnapshotServing,
} from '../../../shared/snapshots/index.js';

/**
 * Desktop snapshots. `GET /v1/tenants/{tenant}/snapshots/{name}/url` hands the caller a read URL valid for
 * one hour, only for its own tenant (no scope, not even platform.admin, reaches another tenant's). Embedded,
 * `GET /snapshot-files/{tenant}/{name}?expires=…&signature=…` serves the file once the HMAC and expiry check out.
 */
export function snapshotRoutes(deps: { serving: SnapshotServing | undefined; now?: () => number }): Router {
  const now = deps.now ?? Date.now;
  const router = Router();

  router.get('/v1/tenants/:tenant/snapshots/:name/url', requireScope(SCOPES.aiInvoke), async (req, res) => {
    const principal = principalOf(res);
    const tenant = String(req.params.tenant);
    if (tenant !== principal.tenantId) {
      throw new AppError({ code: 'tenant_forbidden', status: 403, title: 'Forbidden', detail: `Your token may only fetch snapshots of tenant ${principal.tenantId}.` });
    }
    const ref = checkSnapshotRef({ tenantId: tenant, name: String(req.params.name) });
    if (!deps.serving) {
      throw new AppError({ code: 'snapshots_not_configured', status: 503, title: 'Snapshots not configured', detail: 'No snapshot bucket is configured (SNAPSHOTS_BUCKET).' });
    }
    if (deps.serving.local && !(await localSnapshotExists(deps.serving.local.dataDir, ref))) throw snapshotNotFound(ref.name);
    const signed = await deps.serving.urls.signedUrl(ref, { baseUrl: `${req.protocol}://${req.get('host')}` });
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ tenant: ref.tenantId, snapshot: ref.name, url: signed.url, expires_at: signed.expiresAt.toISOString() });
  });

  const local = deps.serving?.local;
  if (local) {
    router.get(`${LOCAL_DOWNLOAD_PREFIX}/:tenant/:name`, (req, res, next) => {
      const ref = { tenantId: String(req.params.tenant), name: String(req.params.name) };
      const check = checkSignedPath(local.key, localDownloadPath(ref), req.query.expires, req.query.signature, now());
      if (check === 'invalid') {
        throw new AppError({ code: 'signed_url_invalid', status: 403, title: 'Forbidden', detail: 'The URL signature does not match; ask for a new URL.' });
      }
      if (check === 'expired') {
        throw new AppError({ code: 'signed_url_expired', status: 403, title: 'Forbidden', detail: 'The URL has expired; ask for a new URL.' });
      }
      checkSnapshotRef(ref);
      const headers = { 'Cache-Control': 'private, no-store', 'Content-Type': 'application/octet-stream' };
      res.sendFile(localSnapshotFile(local.dataDir, ref), { headers, dotfiles: 'deny' }, (err?: Error & { status?: number }) => {
        if (!err) return;
        next(err.status === 404 ? snapshotNotFound(ref.name) : err);
      });
    });
  }
  return router;
}

function snapshotNotFound(name: string): AppError {
  return new AppError({ code: 'snapshot_not_found', status: 404, title: 'Not found', detail: `Your tenant has no snapshot named ${name}.` });
}
