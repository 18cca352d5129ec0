/**
 * The floor gateway: the least any implementation of the orchestrator's cache-miss invoke must do per
 * call, written as directly as Node allows, so that the gateway bench's figures have a reference measured
 * on the same machine (`npm run bench -- floor`, see ../floor.ts). It is not the service and serves
 * nothing but this bench.
 *
 * Per call, from the `stores` layer on:
 * - node:http in; the bearer token verified once (HS256, jose), then looked up in a Map, as the
 *   service's verified-token cache does;
 * - the body parsed, the capability's prompt rendered, the cache key hashed over the canonical input;
 * - ONE Redis round trip: a Lua script that counts the tenant's request against its per-minute limit,
 *   reads the cache, and on a miss reserves the worst case on the daily and monthly counters (the service
 *   spends two round trips here: rate limit alongside the cache read, then the reservation);
 * - the provider call (undici.request on a keep-alive pool, OpenAI chat completions with a json_schema
 *   response format) and a structural check of the JSON answer;
 * - the call row, its event and the tenant's settled spend in ONE statement, group-committed with the
 *   calls that arrived meanwhile, before the answer;
 * - the answer; then the reservation's release and the cache write in one Redis pipeline.
 * The layers (FLOOR_LAYER), each with the ones before it, so that the bench shows what each adds:
 * - `relay`: only the HTTP in, the token lookup and the provider call: the cost of the relay itself;
 * - `stores`: the Redis and Postgres work above;
 * - `fastify`: served by Fastify (no logger, no hooks) instead of node:http;
 * - `sdk`: the provider called through the openai SDK over the service's vendor fetch
 *   (shared/providers/openai/client.ts) instead of undici directly.
 * The service's code beyond the last layer (its limiter, budgets, validation, routing, metrics, logs,
 * events) is what the orchestrator's row adds over the `sdk` row.
 *
 * Left out, because they are CPU the service spends and a floor need not: logging, metrics, schema
 * validation with ajv, breakers, timeouts, fallback, idempotency, flags, the tenant policy, error mapping.
 *
 * Environment: PORT, PROVIDER_URL (an OpenAI-protocol origin), FLOOR_LAYER (relay | stores | fastify | sdk),
 * FLOOR_SECRET (the HS256 key of the bearer tokens), and from `stores` on DATABASE_URL and REDIS_URL.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { jwtVerify } from 'jose';
import pg from 'pg';
import { Agent, request } from 'undici';
import { renderPrompt } from '../../shared/capabilities/prompt.js';
import { createOpenAiClient } from '../../shared/providers/openai/client.js';
import { loadConfig } from '../../shared/config/index.js';
import { canonicalJson } from '../../shared/util/canonical-json.js';
import { FLOOR_LAYERS, type FloorLayer } from './layers.js';
import { floorTables } from './tables.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`floor gateway: ${name} is not set`);
  return value;
};
const layer = FLOOR_LAYERS.indexOf(process.env.FLOOR_LAYER as FloorLayer);
if (layer < 0) throw new Error(`floor gateway: FLOOR_LAYER is one of ${FLOOR_LAYERS.join(', ')}`);
const withStores = layer >= 1;
const withFastify = layer >= 2;
const withSdk = layer >= 3;
const secret = new TextEncoder().encode(env('FLOOR_SECRET'));
const providerUrl = env('PROVIDER_URL');
const capabilityKey = 'reservation.upsell_offer';
const capability = loadConfig({ env: { APP_ENV: 'dev' } }).capabilities[capabilityKey];
if (!capability) throw new Error(`floor gateway: no capability ${capabilityKey} in config/dev.json`);
const model = 'gpt-4.1-mini';
// The worst case reserved before the call, and the price of a token, in micro-dollars (flat: a floor).
const worstCaseMicros = 5_000;
const microsPerToken = 1;

const dispatcher = new Agent({ connections: 128 });
const redis = withStores ? new Redis(env('REDIS_URL'), { enableAutoPipelining: true, maxRetriesPerRequest: 1 }) : undefined;
const pool = withStores ? new pg.Pool({ connectionString: env('DATABASE_URL'), max: 4, application_name: 'bench-floor' }) : undefined;

/** Rate limit, cache read and reservation in one round trip: {0} limited, {1, cached} hit, {2} budget exhausted, {3} reserved. */
const ADMIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], 60) end
if n > tonumber(ARGV[1]) then return {0} end
local hit = redis.call('GET', KEYS[2])
if hit then return {1, hit} end
local r = tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[3]) or '0') + r > tonumber(ARGV[3]) then return {2} end
if tonumber(redis.call('GET', KEYS[4]) or '0') + r > tonumber(ARGV[4]) then return {2} end
redis.call('INCRBY', KEYS[3], r)
redis.call('INCRBY', KEYS[4], r)
return {3}`;
redis?.defineCommand('floorAdmit', { numberOfKeys: 4, lua: ADMIT });
type AdmitReply = [0] | [1, string] | [2] | [3];
const admit = (keys: string[], args: number[]) => (redis as unknown as { floorAdmit(...a: Array<string | number>): Promise<AdmitReply> }).floorAdmit(...keys, ...args);

interface CallRow {
  call_id: string;
  tenant_id: string;
  capability: string;
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cost_micros: number;
  latency_ms: number;
  output: unknown;
}

/** Group commit: the calls that arrive while a batch is being written go together in the next one. */
const queue: Array<{ row: CallRow; done: (err?: unknown) => void }> = [];
let writing = false;
function record(row: CallRow): Promise<void> {
  return new Promise((resolve, reject) => {
    queue.push({ row, done: (err) => (err ? reject(err) : resolve()) });
    if (!writing) {
      writing = true;
      setImmediate(() => void drain());
    }
  });
}
async function drain(): Promise<void> {
  while (queue.length > 0) {
    const batch = queue.splice(0, 500);
    const rows = batch.map((b) => b.row);
    const spend = new Map<string, number>();
    for (const r of rows) spend.set(r.tenant_id, (spend.get(r.tenant_id) ?? 0) + r.cost_micros);
    try {
      await pool!.query(floorTables.insertBatch, [JSON.stringify(rows), [...spend.keys()], [...spend.values()]]);
      for (const b of batch) b.done();
    } catch (err) {
      for (const b of batch) b.done(err);
    }
  }
  writing = false;
}

const tokens = new Map<string, string>();
async function tenantOf(authorization: string | undefined): Promise<string | undefined> {
  if (!authorization?.startsWith('Bearer ')) return undefined;
  const known = tokens.get(authorization);
  if (known) return known;
  const { payload } = await jwtVerify(authorization.slice(7), secret).catch(() => ({ payload: undefined }));
  const tenant = typeof payload?.tenant_id === 'string' ? payload.tenant_id : undefined;
  if (tenant) tokens.set(authorization, tenant);
  return tenant;
}

type ChatAnswer = { choices?: Array<{ message?: { content?: string | null } }>; usage?: { prompt_tokens: number; completion_tokens: number } };
const sdk = withSdk ? createOpenAiClient('sk-floor', { baseUrl: `${providerUrl}/v1` }) : undefined;

async function callProvider(input: unknown): Promise<{ output: unknown; inputTokens: number; outputTokens: number }> {
  const chat = {
    model,
    messages: [
      { role: 'system', content: capability!.prompt.system },
      { role: 'user', content: renderPrompt(capability!.prompt.template, input) },
    ],
    max_completion_tokens: capability!.maxOutputTokens,
    temperature: capability!.temperature,
    response_format: { type: 'json_schema' as const, json_schema: { name: 'reservation_upsell_offer', schema: capability!.outputSchema, strict: false } },
  };
  const answer: ChatAnswer = sdk ? await sdk.chat.completions.create({ ...chat, messages: chat.messages.map((m) => ({ ...m, role: m.role as 'system' | 'user' })) }) : await post(chat);
  const output = JSON.parse(answer.choices?.[0]?.message?.content ?? 'null') as { offers?: unknown };
  if (!Array.isArray(output?.offers)) throw new Error('provider answer is not an upsell offer');
  return { output, inputTokens: answer.usage?.prompt_tokens ?? 0, outputTokens: answer.usage?.completion_tokens ?? 0 };
}

async function post(chat: object): Promise<ChatAnswer> {
  const res = await request(`${providerUrl}/v1/chat/completions`, { dispatcher, method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-floor' }, body: JSON.stringify(chat) });
  const answer = (await res.body.json()) as ChatAnswer;
  if (res.statusCode !== 200) throw new Error(`provider answered ${res.statusCode}`);
  return answer;
}

async function invoke(tenant: string, input: unknown): Promise<{ status: number; body: unknown }> {
  const started = performance.now();
  const callId = randomUUID();
  if (!withStores) {
    const answer = await callProvider(input);
    return { status: 200, body: { call_id: callId, capability: capabilityKey, output: answer.output, provider: 'openai', model, cache_hit: false } };
  }
  const day = new Date().toISOString().slice(0, 10);
  const cacheKey = `floor:cache:${tenant}:${createHash('sha256').update(canonicalJson(input)).digest('hex')}`;
  const spentKeys = [`floor:spent:${tenant}:d:${day}`, `floor:spent:${tenant}:m:${day.slice(0, 7)}`];
  const admitted = await admit([`floor:rate:${tenant}:${Math.floor(Date.now() / 60_000)}`, cacheKey, ...spentKeys], [10_000_000, worstCaseMicros, 1e12, 1e13]);
  if (admitted[0] === 0) return { status: 429, body: { code: 'rate_limited' } };
  if (admitted[0] === 2) return { status: 402, body: { code: 'budget_exhausted' } };
  if (admitted[0] === 1) return { status: 200, body: { call_id: callId, ...(JSON.parse(admitted[1]) as object), cache_hit: true } };
  const answer = await callProvider(input);
  const cost = (answer.inputTokens + answer.outputTokens) * microsPerToken;
  const row: CallRow = { call_id: callId, tenant_id: tenant, capability: capabilityKey, provider: 'openai', model, input_tokens: answer.inputTokens, output_tokens: answer.outputTokens, cost_micros: cost, latency_ms: performance.now() - started, output: answer.output };
  await record(row);
  // After the answer: release what the call did not spend, and cache the answer (one pipelined write).
  void redis!
    .pipeline()
    .decrby(spentKeys[0]!, worstCaseMicros - cost)
    .decrby(spentKeys[1]!, worstCaseMicros - cost)
    .set(cacheKey, JSON.stringify({ capability: capabilityKey, output: answer.output, provider: 'openai', model }), 'EX', capability!.cacheTtlSeconds)
    .exec();
  return { status: 200, body: { call_id: callId, capability: capabilityKey, output: answer.output, provider: 'openai', model, cache_hit: false, usage: { input_tokens: answer.inputTokens, output_tokens: answer.outputTokens, cost_micros: cost } } };
}

const route = `/v1/capabilities/${capabilityKey}/invoke`;
/** One request: token, input, invoke; a failure answers 502 (the floor maps no errors). */
async function serve(authorization: string | undefined, body: () => unknown, send: (status: number, body: unknown) => void): Promise<void> {
  const tenant = await tenantOf(authorization);
  if (!tenant) return send(401, { code: 'unauthenticated' });
  let input: unknown;
  try {
    input = (body() as { input?: unknown } | null)?.input;
  } catch {
    return send(400, { code: 'invalid_json' });
  }
  const { status, body: answer } = await invoke(tenant, input);
  send(status, answer);
}

const nodeServer = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method === 'GET' && req.url === '/readyz') return send(200, { ready: true });
    if (req.method !== 'POST' || req.url !== route) return send(404, { code: 'not_found' });
    serve(req.headers.authorization, () => JSON.parse(Buffer.concat(chunks).toString('utf8')), send).catch((err: unknown) => send(502, { code: 'floor_failed', detail: String(err) }));
  });
});

const fastify = Fastify({ logger: false, keepAliveTimeout: 65_000 });
fastify.get('/readyz', async () => ({ ready: true }));
fastify.post(route, (req, reply) => {
  const send = (status: number, body: unknown) => void reply.code(status).send(body);
  serve(req.headers.authorization, () => req.body, send).catch((err: unknown) => send(502, { code: 'floor_failed', detail: String(err) }));
});

if (pool) await pool.query(floorTables.create);
const port = Number(env('PORT'));
if (withFastify) await fastify.listen({ port, host: '127.0.0.1' });
else nodeServer.listen(port, '127.0.0.1');

const stop = () => {
  nodeServer.close();
  nodeServer.closeAllConnections();
  void Promise.all([fastify.close(), redis?.quit(), pool?.end(), dispatcher.close()]).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
