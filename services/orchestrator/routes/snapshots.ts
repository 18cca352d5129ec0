import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { principalOf, requireScope, SCOPES } from '../../../shared/auth/index.js';
import { AppError } from '../../../shared/errors/app-error.js';
import type { HttpApp } from '../../../shared/http/index.js';
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
export function snapshotRoutes(app: HttpApp, deps: { serving: SnapshotServing | undefined; now?: () => number }): void {
  const now = deps.now ?? Date.now;

  app.get<{ Params: { tenant: string; name: string } }>('/v1/tenants/:tenant/snapshots/:name/url', { preHandler: requireScope(SCOPES.aiInvoke) }, async (request, reply) => {
    const principal = principalOf(request);
    const tenant = request.params.tenant;
    if (tenant !== principal.tenantId) {
      throw new AppError({ code: 'tenant_forbidden', status: 403, title: 'Forbidden', detail: `Your token may only fetch snapshots of tenant ${principal.tenantId}.` });
    }
    const ref = checkSnapshotRef({ tenantId: tenant, name: request.params.name });
    if (!deps.serving) {
      throw new AppError({ code: 'snapshots_not_configured', status: 503, title: 'Snapshots not configured', detail: 'No snapshot bucket is configured (SNAPSHOTS_BUCKET).' });
    }
    if (deps.serving.local && !(await localSnapshotExists(deps.serving.local.dataDir, ref))) throw snapshotNotFound(ref.name);
    const signed = await deps.serving.urls.signedUrl(ref, { baseUrl: `${request.protocol}://${request.headers.host}` });
    reply.header('Cache-Control', 'no-store');
    return { tenant: ref.tenantId, snapshot: ref.name, url: signed.url, expires_at: signed.expiresAt.toISOString() };
  });

  const local = deps.serving?.local;
  if (local) {
    app.get<{ Params: { tenant: string; name: string }; Querystring: { expires?: unknown; signature?: unknown } }>(`${LOCAL_DOWNLOAD_PREFIX}/:tenant/:name`, async (request, reply) => {
      const ref = { tenantId: request.params.tenant, name: request.params.name };
      const check = checkSignedPath(local.key, localDownloadPath(ref), request.query.expires, request.query.signature, now());
      if (check === 'invalid') {
        throw new AppError({ code: 'signed_url_invalid', status: 403, title: 'Forbidden', detail: 'The URL signature does not match; ask for a new URL.' });
      }
      if (check === 'expired') {
        throw new AppError({ code: 'signed_url_expired', status: 403, title: 'Forbidden', detail: 'The URL has expired; ask for a new URL.' });
      }
      checkSnapshotRef(ref);
      const file = localSnapshotFile(local.dataDir, ref);
      const size = await stat(file).then(
        (s) => (s.isFile() ? s.size : undefined),
        () => undefined,
      );
      if (size === undefined) throw snapshotNotFound(ref.name);
      return reply.headers({ 'Cache-Control': 'private, no-store', 'Content-Type': 'application/octet-stream', 'Content-Length': size }).send(createReadStream(file));
    });
  }
}

function snapshotNotFound(name: string): AppError {
  return new AppError({ code: 'snapshot_not_found', status: 404, title: 'Not found', detail: `Your tenant has no snapshot named ${name}.` });
}
