import { withTransaction, type Pool, type Queryable } from '../../shared/db/index.js';
import type { ManifestPayload, ManifestSignature } from '../../shared/signing/index.js';

export async function lastSignedVersion(db: Queryable, channel: string): Promise<number> {
  const { rows } = await db.query<{ last_version: number }>('SELECT last_version FROM manifest_channels WHERE channel = $1', [channel]);
  return rows[0]?.last_version ?? 0;
}

export interface SignedManifestRecord {
  payload: ManifestPayload;
  payloadSha256: string;
  signatures: ManifestSignature[];
  keyid: string;
  keyVersion: string;
  requestedBy: string;
  requestedByTenant: string;
  requestTokenId?: string;
}

/**
 * Moves the channel to the manifest's version and stores the manifest, in one transaction. The conditional
 * upsert is the rollback guard: it updates nothing when the channel already reached this version (a
 * concurrent request won), and then nothing is stored. Returns false in that case, with the channel's version.
 */
export async function recordSignedManifest(pool: Pool, record: SignedManifestRecord): Promise<{ recorded: true } | { recorded: false; lastVersion: number }> {
  const { payload } = record;
  return withTransaction(pool, async (tx) => {
    const moved = await tx.query(
      `INSERT INTO manifest_channels (channel, last_version) VALUES ($1, $2)
       ON CONFLICT (channel) DO UPDATE SET last_version = EXCLUDED.last_version, updated_at = now()
       WHERE manifest_channels.last_version < EXCLUDED.last_version
       RETURNING channel`,
      [payload.channel, payload.version],
    );
    if (moved.rowCount === 0) return { recorded: false, lastVersion: await lastSignedVersion(tx, payload.channel) };
    await tx.query(
      `INSERT INTO manifests (channel, version, payload, payload_sha256, signatures, keyid, key_version, expires_at,
                              requested_by, requested_by_tenant, request_token_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        payload.channel,
        payload.version,
        JSON.stringify(payload),
        record.payloadSha256,
        JSON.stringify(record.signatures),
        record.keyid,
        record.keyVersion,
        payload.expires_at,
        record.requestedBy,
        record.requestedByTenant,
        record.requestTokenId ?? null,
      ],
    );
    return { recorded: true };
  });
}
