import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash } from 'node:crypto';

/**
 * A wire fake of Vertex AI text embeddings: `POST /{version}/projects/P/locations/L/publishers/google/models/M:predict`
 * with `{ instances: [{ content, task_type }], parameters: { outputDimensionality } }`, answered like Vertex
 * (`predictions[].embeddings.{ values, statistics }`), so `@google/genai` talks to it unchanged
 * (`httpOptions.baseUrl` = fake.url, `vertexai: true`).
 */
export interface PredictCall {
  path: string;
  authorization: string | undefined;
  instances: Array<{ content: string; task_type?: string }>;
  parameters: Record<string, unknown>;
}

export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'drop' }
  | { kind: 'malformed' }
  | { kind: 'wrong_dimension' }
  | { kind: 'missing_predictions' };

export interface FakeVertexEmbeddings {
  /** Base URL for `httpOptions.baseUrl`. */
  url: string;
  /** Every :predict request received, faults included. */
  calls(): PredictCall[];
  /** The next requests (one fault each, in order) are answered with these faults. */
  failNext(...faults: Fault[]): void;
  /** Delay before every answer. */
  setLatency(ms: number): void;
  /** The vector the fake answers for `text` at `dimensions` (unit length, derived from a hash of the text). */
  vectorFor(text: string, dimensions: number): number[];
  stop(): Promise<void>;
}

const DEFAULT_DIMENSIONS = 768;
const PREDICT_PATH = /^\/v1(beta1)?\/projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/[^/:]+:predict$/;

function vectorFor(text: string, dimensions: number): number[] {
  // mulberry32 seeded by the text's hash: cheap, and the same text always gets the same vector.
  let seed = createHash('sha256').update(text).digest().readUInt32BE(0);
  const values = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const v = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
    values[i] = v;
    norm += v * v;
  }
  const scale = 1 / (Math.sqrt(norm) || 1);
  return values.map((v) => v * scale);
}

const statusName = (status: number) => (status === 429 ? 'RESOURCE_EXHAUSTED' : status === 503 ? 'UNAVAILABLE' : status >= 500 ? 'INTERNAL' : status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'PERMISSION_DENIED' : 'INVALID_ARGUMENT');

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeVertexEmbeddings(): Promise<FakeVertexEmbeddings> {
  const calls: PredictCall[] = [];
  let faults: Fault[] = [];
  let latencyMs = 0;
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '').split('?')[0]!;
      if (req.method !== 'POST' || !PREDICT_PATH.test(path)) {
        return sendJson(res, 404, { error: { code: 404, message: `fake vertex: no route ${req.method} ${path}`, status: 'NOT_FOUND' } });
      }
      let parsed: { instances?: PredictCall['instances']; parameters?: Record<string, unknown> };
      try {
        parsed = JSON.parse(await readBody(req)) as typeof parsed;
      } catch {
        return sendJson(res, 400, { error: { code: 400, message: 'fake vertex: invalid JSON', status: 'INVALID_ARGUMENT' } });
      }
      const instances = parsed.instances ?? [];
      const parameters = parsed.parameters ?? {};
      calls.push({ path, authorization: req.headers.authorization, instances, parameters });
      const fault = faults.shift();
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));

      if (fault?.kind === 'drop') return req.socket.destroy();
      if (fault?.kind === 'status') {
        const body = fault.body ?? { error: { code: fault.status, message: `fake vertex: injected ${fault.status}`, status: statusName(fault.status) } };
        return sendJson(res, fault.status, body, fault.headers);
      }
      if (fault?.kind === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"predictions": [ {"embeddings": ');
      }
      if (fault?.kind === 'missing_predictions') return sendJson(res, 200, { metadata: {} });
      if (instances.length === 0 || instances.length > 250) {
        return sendJson(res, 400, { error: { code: 400, message: `fake vertex: ${instances.length} instances (1..250 allowed)`, status: 'INVALID_ARGUMENT' } });
      }
      const requested = typeof parameters.outputDimensionality === 'number' ? parameters.outputDimensionality : DEFAULT_DIMENSIONS;
      const dimensions = fault?.kind === 'wrong_dimension' ? requested + 1 : requested;
      sendJson(res, 200, {
        predictions: instances.map(({ content }) => ({
          embeddings: { values: vectorFor(content, dimensions), statistics: { token_count: content.split(/\s+/).filter(Boolean).length, truncated: false } },
        })),
        metadata: { billableCharacterCount: instances.reduce((s, i) => s + i.content.length, 0) },
      });
    })();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => [...calls],
    failNext(...next) {
      faults = [...faults, ...next];
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    vectorFor,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
