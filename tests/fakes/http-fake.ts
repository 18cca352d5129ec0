import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The plumbing the vendor wire fakes share: a node:http server on 127.0.0.1 that records every request and
 * answers each one with the next queued reply (default: a normal answer). The vendor file (protocol) only
 * says how an answer, a stream and an error look on its wire.
 */

export interface RecordedRequest {
  method: string;
  /** Path with query string, e.g. `/v1/messages` or `/v1beta1/…:streamGenerateContent?alt=sse`. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (undefined if there was none). */
  body: Record<string, unknown>;
}

export interface FakeUsage {
  input: number;
  output: number;
}

/** What the fake does with one request. */
export type FakeReply = { latencyMs?: number } & (
  | { kind: 'ok'; text?: string; usage?: FakeUsage }
  /** An HTTP error in the vendor's error format; `retryAfter` is sent as the vendor sends its retry hint. */
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Reads the request and never answers (for timeouts). */
  | { kind: 'hang' }
  /** Destroys the socket before any response byte, or halfway through the body (or, for streams, after the first delta). */
  | { kind: 'drop'; when?: 'before-headers' | 'mid-body' }
  /** A 200 with a JSON content type whose body is not JSON (non-streaming requests). */
  | { kind: 'malformed' }
  /** A complete 200 answer whose candidate / message has no text at all. */
  | { kind: 'empty' }
  /** The vendor's safety or content-policy refusal. */
  | { kind: 'refusal' }
  /** A 200 with exactly this JSON body, for shapes the other kinds do not cover. */
  | { kind: 'json'; body: unknown }
  /** Streams: sends `chunks` text deltas, then destroys the socket. */
  | { kind: 'break'; chunks: number; text?: string }
  /** Streams: sends `chunks` text deltas, then nothing more, keeping the connection open (for mid-stream timeouts). */
  | { kind: 'stall'; chunks: number }
  /** A complete answer; a stream sends its frames `paceMs` apart (for callers that leave mid-stream). */
  | { kind: 'paced'; paceMs: number }
);

export interface Answer {
  model: string;
  text: string;
  usage: FakeUsage;
  refusal: boolean;
}

export type WireResponse = { status: number; headers?: Record<string, string>; json: unknown } | { sse: { head: string[]; deltas: string[]; tail: string[] } };

export interface WireProtocol {
  isStream(req: RecordedRequest): boolean;
  /** A complete answer, as JSON or (for a stream request) as SSE frames, one frame per text delta. */
  answer(req: RecordedRequest, answer: Answer, stream: boolean): WireResponse;
  error(status: number, retryAfter: string | undefined): WireResponse;
}

export interface HttpFake {
  /** `http://127.0.0.1:port` */
  url: string;
  /** Every request received, including the ones answered with a fault. */
  requests: RecordedRequest[];
  /** Replies for the next requests, in order; requests beyond the queue get `{ kind: 'ok' }`. */
  enqueue(...replies: FakeReply[]): void;
  /** Drops the replies still queued (a test that queued more than its requests used); returns how many. */
  discardQueued(): number;
  stop(): Promise<void>;
}

export const DEFAULT_TEXT = '{"answer":"Check-in starts at 15:00.","citations":[]}';
export const DEFAULT_USAGE: FakeUsage = { input: 42, output: 17 };

/** Splits a text into `parts` pieces (at least one character each) to stream it. */
export function splitText(text: string, parts = 4): string[] {
  const size = Math.max(1, Math.ceil(text.length / parts));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

function send(res: http.ServerResponse, wire: WireResponse, cut?: { afterDeltas?: number; midBody?: boolean; stall?: boolean }): void {
  if ('json' in wire) {
    const body = JSON.stringify(wire.json);
    res.writeHead(wire.status, { 'content-type': 'application/json', ...wire.headers });
    if (cut?.midBody) {
      res.write(body.slice(0, Math.floor(body.length / 2)));
      // Let the status line and the first half reach the client before the reset.
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.end(body);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const { head, deltas, tail } = wire.sse;
  for (const frame of head) res.write(frame);
  if (cut?.afterDeltas !== undefined) {
    for (const frame of deltas.slice(0, cut.afterDeltas)) res.write(frame);
    if (cut.stall) return;
    // Let the frames reach the client before the reset, as a real mid-stream failure would.
    setTimeout(() => res.socket?.destroy(), 20);
    return;
  }
  for (const frame of [...deltas, ...tail]) res.write(frame);
  res.end();
}

async function sendPaced(res: http.ServerResponse, wire: WireResponse, paceMs: number): Promise<void> {
  if ('json' in wire) return send(res, wire);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const { head, deltas, tail } = wire.sse;
  for (const frame of [...head, ...deltas, ...tail]) {
    if (res.destroyed) return;
    res.write(frame);
    await sleep(paceMs);
  }
  res.end();
}

export interface HttpFakeOptions {
  /** Keep every request in `requests` (default true); off for long benchmark runs. */
  record?: boolean;
  /** The text of a normal answer when no reply is queued (default DEFAULT_TEXT, a policy answer). */
  defaultText?: (req: RecordedRequest) => string;
}

export async function startHttpFake(protocol: WireProtocol, modelOf: (req: RecordedRequest) => string, opts: HttpFakeOptions = {}): Promise<HttpFake> {
  const requests: RecordedRequest[] = [];
  const queue: FakeReply[] = [];

  const server = http.createServer((req, res) => {
    void (async () => {
      const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: await readBody(req) };
      if (opts.record !== false) requests.push(recorded);
      const reply = queue.shift() ?? { kind: 'ok' };
      if (reply.latencyMs) await sleep(reply.latencyMs);
      const stream = protocol.isStream(recorded);
      const answer = (text = opts.defaultText?.(recorded) ?? DEFAULT_TEXT, usage = DEFAULT_USAGE, refusal = false): Answer => ({ model: modelOf(recorded), text, usage, refusal });
      switch (reply.kind) {
        case 'ok':
          return send(res, protocol.answer(recorded, answer(reply.text, reply.usage), stream));
        case 'status':
          return send(res, protocol.error(reply.status, reply.retryAfter));
        case 'hang':
          return;
        case 'drop':
          if (reply.when === 'before-headers') return req.socket.destroy();
          return send(res, protocol.answer(recorded, answer(), stream), { midBody: true, afterDeltas: 1 });
        case 'malformed':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('{"id": "x", "choices": [ {');
        case 'empty':
          return send(res, protocol.answer(recorded, answer(''), stream));
        case 'refusal':
          return send(res, protocol.answer(recorded, answer('', DEFAULT_USAGE, true), stream));
        case 'json':
          return send(res, { status: 200, json: reply.body });
        case 'break':
          return send(res, protocol.answer(recorded, answer(reply.text), stream), { afterDeltas: reply.chunks });
        case 'stall':
          return send(res, protocol.answer(recorded, answer(), stream), { afterDeltas: reply.chunks, stall: true });
        case 'paced':
          return sendPaced(res, protocol.answer(recorded, answer(), stream), reply.paceMs);
      }
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake failed: ${String(err)}`);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    discardQueued: () => queue.splice(0).length,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
