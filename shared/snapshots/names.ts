import { TENANT_ID_PATTERN } from '../auth/index.js';
import { invalidInput } from '../http/index.js';

/** A snapshot name is one path segment: no slash, no leading dot (so never `.` or `..`). */
export const SNAPSHOT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface SnapshotRef {
  tenantId: string;
  name: string;
}

/**
 * Refuses (400 invalid_input) a tenant id or name that could leave the tenant's prefix or folder. Tenant
 * ids may hold dots, so `.` and `..` are refused here, where they would become path segments.
 */
export function checkSnapshotRef(ref: SnapshotRef): SnapshotRef {
  const problems: Array<{ path: string; message: string }> = [];
  if (!TENANT_ID_PATTERN.test(ref.tenantId) || /^\.+$/.test(ref.tenantId)) problems.push({ path: '/tenant', message: 'is not a valid tenant id' });
  if (!SNAPSHOT_NAME_PATTERN.test(ref.name)) problems.push({ path: '/name', message: `must match ${SNAPSHOT_NAME_PATTERN.source}` });
  if (problems.length > 0) throw invalidInput(problems);
  return ref;
}

/** The object name of a tenant's snapshot: the configured prefix with `{tenant}` filled in, then the name. */
export function snapshotObjectName(objectPrefix: string, ref: SnapshotRef): string {
  return `${objectPrefix.replaceAll('{tenant}', ref.tenantId)}${ref.name}`;
}
