import type { Queryable } from '../db/index.js';

/**
 * The two dedupe tables (migrations/0006_async_hitl.sql): processed_messages (one row per Pub/Sub message
 * answered, written with its result event) and inference_requests (the claim on a tenant's request_id).
 */

export type ProcessedOutcome = 'completed' | 'failed' | 'poison' | 'duplicate';

export interface ProcessedMessage {
  messageId: string;
  subscription: string | undefined;
  tenantId: string | undefined;
  requestId: string | undefined;
  outcome: ProcessedOutcome;
  resultEventId: string | undefined;
  deliveryAttempt: number | undefined;
}

/** Inserts the row unless the message was answered already; true when this call inserted it. */
export async function markProcessed(tx: Queryable, m: ProcessedMessage): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO processed_messages (message_id, subscription, tenant_id, request_id, outcome, result_event_id, delivery_attempt)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_id) DO NOTHING`,
    [m.messageId, m.subscription ?? null, m.tenantId ?? null, m.requestId ?? null, m.outcome, m.resultEventId ?? null, m.deliveryAttempt ?? null],
  );
  return rowCount === 1;
}

/**
 * Whether the message was answered already and (when given) whether the tenant is known, in one query. A
 * tenant exists once a verified token of it called, or an admin set its budgets (as the budget resetter counts them).
 */
export async function messageState(db: Queryable, messageId: string, tenantId: string | undefined): Promise<{ answered: boolean; tenantKnown: boolean }> {
  const { rows } = await db.query<{ answered: boolean; tenant_known: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM processed_messages WHERE message_id = $1) AS answered,
            $2::text IS NOT NULL AND (EXISTS (SELECT 1 FROM tenants WHERE tenant_id = $2)
                                   OR EXISTS (SELECT 1 FROM tenant_budget_limits WHERE tenant_id = $2)) AS tenant_known`,
    [messageId, tenantId ?? null],
  );
  return { answered: rows[0]!.answered, tenantKnown: rows[0]!.tenant_known };
}

export interface RequestKey {
  tenantId: string;
  requestId: string;
}

export interface RequestRow {
  status: 'running' | 'completed' | 'failed';
  request_hash: string;
  claim_token: string | null;
  lease_over: boolean;
}

/**
 * Claims the request for claimToken: inserts it, or takes over a running claim whose lease ended (its holder
 * crashed or gave up). Returns false while another delivery holds it or once it has finished.
 */
export async function claimRequest(
  db: Queryable,
  key: RequestKey,
  claim: { token: string; leaseSeconds: number; requestHash: string; capability: string; messageId: string; correlationId: string | undefined },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO inference_requests (tenant_id, request_id, request_hash, capability, message_id, status, claim_token, claimed_until, correlation_id)
     VALUES ($1, $2, $3, $4, $5, 'running', $6, now() + $7 * interval '1 second', $8)
     ON CONFLICT (tenant_id, request_id) DO UPDATE
        SET claim_token = EXCLUDED.claim_token, claimed_until = EXCLUDED.claimed_until, message_id = EXCLUDED.message_id,
            claims = inference_requests.claims + 1
      WHERE inference_requests.status = 'running' AND inference_requests.claimed_until <= now()
        AND inference_requests.request_hash = EXCLUDED.request_hash`,
    [key.tenantId, key.requestId, claim.requestHash, claim.capability, claim.messageId, claim.token, claim.leaseSeconds, claim.correlationId ?? null],
  );
  return rowCount === 1;
}

export async function readRequest(db: Queryable, key: RequestKey): Promise<RequestRow | undefined> {
  const { rows } = await db.query<RequestRow>(
    `SELECT status, request_hash, claim_token::text AS claim_token, (claimed_until IS NULL OR claimed_until <= now()) AS lease_over
       FROM inference_requests WHERE tenant_id = $1 AND request_id = $2`,
    [key.tenantId, key.requestId],
  );
  return rows[0];
}

/** What a waiting delivery polls: the request's row and whether its own message was answered, in one query. */
export async function waitState(db: Queryable, key: RequestKey, messageId: string): Promise<{ row: RequestRow | undefined; answered: boolean }> {
  const { rows } = await db.query<RequestRow & { answered: boolean; found: boolean }>(
    `SELECT r.status, r.request_hash, r.claim_token::text AS claim_token,
            (r.claimed_until IS NULL OR r.claimed_until <= now()) AS lease_over, r.tenant_id IS NOT NULL AS found,
            EXISTS (SELECT 1 FROM processed_messages WHERE message_id = $3) AS answered
       FROM (SELECT 1) AS one
       LEFT JOIN inference_requests r ON r.tenant_id = $1 AND r.request_id = $2`,
    [key.tenantId, key.requestId, messageId],
  );
  const r = rows[0]!;
  return { answered: r.answered, row: r.found ? { status: r.status, request_hash: r.request_hash, claim_token: r.claim_token, lease_over: r.lease_over } : undefined };
}

/** Marks the request finished, only while claimToken still holds it; false when the claim was lost. */
export async function finishRequest(tx: Queryable, key: RequestKey, claimToken: string, finish: { status: 'completed' | 'failed'; callId: string | undefined }): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE inference_requests SET status = $4, call_id = $5, finished_at = now(), claim_token = NULL, claimed_until = NULL
      WHERE tenant_id = $1 AND request_id = $2 AND claim_token = $3 AND status = 'running'`,
    [key.tenantId, key.requestId, claimToken, finish.status, finish.callId ?? null],
  );
  return rowCount === 1;
}

/** Gives the claim up at once (a transient fault): the redelivery need not wait for the lease to end. */
export async function releaseClaim(db: Queryable, key: RequestKey, claimToken: string): Promise<void> {
  await db.query(
    `UPDATE inference_requests SET claimed_until = now() WHERE tenant_id = $1 AND request_id = $2 AND claim_token = $3 AND status = 'running'`,
    [key.tenantId, key.requestId, claimToken],
  );
}
