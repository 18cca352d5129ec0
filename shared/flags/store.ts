import type { Queryable } from '../db/index.js';

/** Feature flags live in Postgres: '*' rows apply to every tenant, a tenant's own row overrides them. */
export const GLOBAL_TENANT = '*';

export interface FlagRow {
  key: string;
  tenant_id: string;
  enabled: boolean;
  value: unknown;
  updated_by: string | null;
  updated_at: string;
}

export interface FlagChange {
  key: string;
  tenant_id: string;
  enabled: boolean;
  value?: unknown;
}

const COLUMNS = `flag_key AS key, tenant_id, enabled, value, updated_by, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at`;

/** Flags visible to a tenant (its own and the global ones), or every flag when tenantId is undefined. */
export async function listFlags(db: Queryable, tenantId: string | undefined): Promise<FlagRow[]> {
  const { rows } = tenantId
    ? await db.query<FlagRow>(`SELECT ${COLUMNS} FROM feature_flags WHERE tenant_id IN ($1, '*') ORDER BY flag_key, tenant_id`, [tenantId])
    : await db.query<FlagRow>(`SELECT ${COLUMNS} FROM feature_flags ORDER BY flag_key, tenant_id`);
  return rows;
}

/** Upserts every change in one statement (all or nothing). */
export async function upsertFlags(db: Queryable, changes: FlagChange[], updatedBy: string): Promise<void> {
  if (changes.length === 0) return;
  await db.query(
    `INSERT INTO feature_flags (flag_key, tenant_id, enabled, value, updated_by, updated_at)
     SELECT c.key, c.tenant_id, c.enabled, c.value, $2, now()
       FROM jsonb_to_recordset($1::jsonb) AS c(key text, tenant_id text, enabled boolean, value jsonb)
     ON CONFLICT (flag_key, tenant_id)
     DO UPDATE SET enabled = EXCLUDED.enabled, value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now()`,
    [JSON.stringify(changes.map((c) => Object.assign({}, c, { value: c.value ?? null }))), updatedBy],
  );
}
