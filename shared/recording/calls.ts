import type { EventTopics } from '../config/index.js';
import type { Pool, PoolClient } from '../db/index.js';
import { preparedAs, statementParams, type Bind } from '../db/params.js';
import { enqueueMany, insertOutboxRows, outboxRowsOf, validateEventData, type EventEnvelope } from '../events/index.js';
import { GroupCommitter } from './group-commit.js';

/** What one inference call leaves in Postgres: its ai_calls row, its event, and (when it cost money) its settlement. */
export interface CallRecord<S = unknown> {
  row: {
    call_id: string;
    tenant_id: string;
    capability: string;
    channel: 'invoke' | 'chat' | 'embeddings' | 'async';
    status: 'completed' | 'failed';
    error_code: string | null;
    provider: string | null;
    model: string | null;
    degraded: boolean;
    cache_hit: boolean;
    input_tokens: number;
    output_tokens: number;
    cost_micros: number;
    latency_ms: number;
    input_hash: string;
    idempotency_key: string | null;
    correlation_id: string | null;
    attempts: unknown[];
    hitl_status: string | null;
    output: unknown;
  };
  event: EventEnvelope;
  settlement?: S;
  /** Other modules' rows that must commit with this call (a review task, an async command's completion). */
  hooks?: RecordHook[];
}

/** A per-call extension of the recording transaction. */
export interface RecordHook {
  /** Runs first in the transaction; false drops this call from its batch (record() rejects with CallVetoedError). */
  claim?(tx: PoolClient, call: CallRecord): Promise<boolean>;
  /** Runs after the batch's rows, events and settlements are written, in the same transaction. */
  write?(tx: PoolClient, call: CallRecord): Promise<void>;
}

/** A hook's claim refused the call: nothing of it was written (e.g. another delivery took its async command over). */
export class CallVetoedError extends Error {
  constructor(callId: string) {
    super(`call ${callId} was not recorded: a recording hook refused it`);
    this.name = 'CallVetoedError';
  }
}

export interface CallRecorder<S> {
  /** Resolves once the row, the event and the settlement are committed (together with other calls). */
  record(call: CallRecord<S>): Promise<void>;
  flush(): Promise<void>;
}

/** A batch's settlements as a data-modifying CTE of the recorder's one-statement path. */
export interface SettlementStatement {
  cte: string;
  /** An SQL condition over that CTE's rows (named by the argument): true when the batch must be recorded in a transaction instead. */
  needsTransaction(rows: string): string;
}

/** The SQLSTATE of abandon_statement() (migration 0010): the statement wrote nothing, use the transaction. */
const ABANDONED = 'AO001';

export function createCallRecorder<S>(opts: {
  pool: Pool;
  topics: EventTopics;
  /** Applies the batch's settlements on the same transaction (the budgets ledger). */
  applySettlements: (tx: PoolClient, settlements: S[]) => Promise<void>;
  /**
   * The batch's settlements as part of one statement (the budgets ledger's chargeInStatement). With it, a
   * batch whose calls have no hooks is written in a single statement: one round trip instead of five.
   * Without it, a batch with settlements is written in a transaction.
   */
  settlementStatement?: (settlements: S[], bind: Bind) => SettlementStatement | undefined;
  maxBatch?: number;
  /**
   * Prepare the one-statement recording on each connection (a real Postgres; not the embedded database,
   * whose connections share one session and so one namespace of statement names). Its text is the same for
   * every batch (rows travel as JSON and arrays), so Postgres parses it once per connection and plans it once
   * it settles on a generic plan: under load its planning took 453 µs per batch against 1,045 µs of execution
   * (pg_stat_statements).
   */
  preparedStatements?: boolean;
  /** Batch size and commit time of each group commit (metrics). */
  observe?: (batchSize: number, seconds: number) => void;
}): CallRecorder<S> {
  const vetoed = new WeakSet<CallRecord<S>>();
  const settlementsOf = (calls: Array<CallRecord<S>>): S[] => calls.flatMap((c) => (c.settlement === undefined ? [] : [c.settlement]));
  const committer = new GroupCommitter<CallRecord<S>>({
    pool: opts.pool,
    maxBatch: opts.maxBatch,
    observe: opts.observe,
    write: async (tx, batch) => {
      const calls: Array<CallRecord<S>> = [];
      for (const call of batch) {
        vetoed.delete(call); // a retried batch asks again
        if (await claimAll(tx, call)) calls.push(call);
        else vetoed.add(call);
      }
      if (calls.length === 0) return;
      const { params, bind } = statementParams();
      await tx.query(insertCallRows(calls, bind), params);
      await enqueueMany(tx, calls.map((c) => c.event), opts.topics);
      const settlements = settlementsOf(calls);
      if (settlements.length > 0) await opts.applySettlements(tx, settlements);
      for (const call of calls) for (const hook of call.hooks ?? []) await hook.write?.(tx, call);
    },
    // The same rows in one statement (data-modifying CTEs commit or roll back together), for batches that
    // need nothing else: no hooks (claims can veto a call, and hooks write other modules' rows), and
    // charges that announce no budget threshold (only applySettlements does that).
    writeAlone: async (pool, batch) => {
      if (batch.some((call) => (call.hooks ?? []).length > 0)) return false;
      const settlements = settlementsOf(batch);
      if (settlements.length > 0 && !opts.settlementStatement) return false;
      const { params, bind } = statementParams();
      const ctes = [`calls AS (${insertCallRows(batch, bind)})`, `events AS (${insertOutboxRows(outboxRowsOf(batch.map((c) => c.event), opts.topics), bind)})`];
      const charges = settlements.length > 0 ? opts.settlementStatement?.(settlements, bind) : undefined;
      if (charges) ctes.push(`charges AS (${charges.cte})`);
      const guard = charges ? `SELECT abandon_statement('this batch is recorded in a transaction') WHERE ${charges.needsTransaction('charges')}` : 'SELECT 1';
      try {
        // One name per text: with or without the charges.
        const name = preparedAs(opts.preparedStatements, charges ? 'record_calls_charged_v1' : 'record_calls_v1');
        await pool.query(Object.assign(name, { text: `WITH ${ctes.join(',\n')}\n${guard}`, values: params }));
        return true;
      } catch (err) {
        if ((err as { code?: unknown } | null)?.code === ABANDONED) return false;
        throw err;
      }
    },
  });
  return {
    async record(call) {
      // Checked before joining a batch: one malformed event must fail its own call, not everyone's in the batch.
      validateEventData(call.event.type, call.event.data);
      await committer.submit(call);
      if (vetoed.has(call)) throw new CallVetoedError(call.row.call_id);
    },
    flush: () => committer.flush(),
  };
}

/** The INSERT of the calls' ai_calls rows, bound as one JSON parameter. */
function insertCallRows(calls: ReadonlyArray<CallRecord<unknown>>, bind: Bind): string {
  return `INSERT INTO ai_calls (call_id, tenant_id, capability, channel, status, error_code, provider, model, degraded, cache_hit,
                               input_tokens, output_tokens, cost_micros, latency_ms, input_hash, idempotency_key, correlation_id,
                               attempts, hitl_status, output)
         SELECT call_id, tenant_id, capability, channel, status, error_code, provider, model, degraded, cache_hit,
                input_tokens, output_tokens, cost_micros, latency_ms, input_hash, idempotency_key, correlation_id,
                attempts, hitl_status, output
           FROM jsonb_to_recordset(${bind(JSON.stringify(calls.map((c) => c.row)))}::jsonb) AS r(call_id uuid, tenant_id text, capability text, channel text, status text,
                error_code text, provider text, model text, degraded boolean, cache_hit boolean, input_tokens int,
                output_tokens int, cost_micros bigint, latency_ms int, input_hash text, idempotency_key text,
                correlation_id text, attempts jsonb, hitl_status text, output jsonb)`;
}

async function claimAll(tx: PoolClient, call: CallRecord<unknown>): Promise<boolean> {
  for (const hook of call.hooks ?? []) if (hook.claim && !(await hook.claim(tx, call))) return false;
  return true;
}
