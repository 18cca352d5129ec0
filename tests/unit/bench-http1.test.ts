import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startBenchFake, type BenchFake } from '../../bench/bench-fake.js';
import { Http1Pool } from '../../bench/http1/client.js';
import { closesAfter, Http1ParseError, Http1Reader, statusOf, type Http1Message } from '../../bench/http1/reader.js';

// The benches' lean HTTP/1.1 load generator and fake: their figures are only as good as their framing.
const read = (...chunks: string[]) => {
  const messages: Array<{ head: string; body: string }> = [];
  const reader = new Http1Reader((m: Http1Message) => messages.push({ head: m.head, body: m.body.toString() }));
  for (const c of chunks) reader.feed(Buffer.from(c));
  return { messages, reader };
};

describe('Http1Reader', () => {
  const wire = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';

  it('reads a message framed by content-length, however the bytes are split', () => {
    expect(read(wire).messages).toEqual([{ head: 'HTTP/1.1 200 OK\r\nContent-Length: 5', body: 'hello' }]);
    expect(read(...wire.split('')).messages).toEqual(read(wire).messages);
  });

  it('reads messages back to back in one chunk, and keeps the start of the next until the rest comes', () => {
    const { messages, reader } = read(`${wire}HTTP/1.1 204 No Content\r\n\r\n${wire.slice(0, 20)}`);
    expect(messages.map((m) => [statusOf(m.head), m.body])).toEqual([
      [200, 'hello'],
      [204, ''],
    ]);
    reader.feed(Buffer.from(wire.slice(20)));
    expect(messages.map((m) => [statusOf(m.head), m.body])).toEqual([
      [200, 'hello'],
      [204, ''],
      [200, 'hello'],
    ]);
  });

  it('reads a chunked body, with chunk extensions and trailers, split anywhere', () => {
    const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n';
    expect(read(chunked).messages).toEqual([{ head: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked', body: 'hello!' }]);
    expect(read(...chunked.split('')).messages).toHaveLength(1);
    expect(read('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n').messages[0]!.body).toBe('');
  });

  it('refuses a bad chunk size, a chunk without its CRLF and a head that never ends', () => {
    expect(() => read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')).toThrow(Http1ParseError);
    expect(() => read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n')).toThrow(Http1ParseError);
    expect(() => read('x'.repeat(70 * 1024))).toThrow(Http1ParseError);
  });

  it('reads status codes and connection: close, and refuses a head that is not a response', () => {
    expect(statusOf('HTTP/1.1 429 Too Many Requests')).toBe(429);
    expect(() => statusOf('POST / HTTP/1.1')).toThrow(Http1ParseError);
    expect(closesAfter('HTTP/1.1 200 OK\r\nConnection: close')).toBe(true);
    expect(closesAfter('HTTP/1.1 200 OK\r\nConnection: keep-alive')).toBe(false);
  });
});

describe('Http1Pool', () => {
  const servers: Array<http.Server | net.Server> = [];
  const sockets = new Set<net.Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  });
  const listen = async <S extends http.Server | net.Server>(server: S) => {
    servers.push(server);
    server.on('connection', (socket: net.Socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const post = (body = '{}') => ({ method: 'POST', path: '/x', headers: { 'content-type': 'application/json' }, body });

  it("sends the request's method, path, headers and body, and resolves each answer's status on at most `size` connections", async () => {
    const seen: Array<{ method?: string; url?: string; type?: string; body: string; port: number }> = [];
    const url = await listen(
      http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], body, port: req.socket.remotePort! });
          res.statusCode = body === 'fail' ? 503 : 200;
          setTimeout(() => res.end('ok'), 5);
        });
      }),
    );
    const pool = new Http1Pool(url, 2);
    const statuses = await Promise.all(['a', 'ü', 'fail', 'b', 'c'].map((b) => pool.request(post(b))));
    pool.close();
    expect(statuses).toEqual([200, 200, 503, 200, 200]);
    expect(seen.map((s) => s.body).sort()).toEqual(['a', 'b', 'c', 'fail', 'ü']);
    expect(seen.every((s) => s.method === 'POST' && s.url === '/x' && s.type === 'application/json')).toBe(true);
    expect(new Set(seen.map((s) => s.port)).size).toBe(2);
  });

  it('resolves 0 when the connection drops mid-answer, and the next request opens a new connection', async () => {
    let n = 0;
    const url = await listen(
      net.createServer((socket) => {
        socket.once('data', () => {
          if (n++ === 0) socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort');
          else socket.write('HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n');
        });
      }),
    );
    const pool = new Http1Pool(url, 1);
    expect(await pool.request(post())).toBe(0);
    expect(await pool.request(post())).toBe(201);
    pool.close();
  });

  it('after an answer with connection: close, a waiting request gets a new connection', async () => {
    let connections = 0;
    const url = await listen(
      http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.setHeader('connection', 'close');
          res.end('bye');
        });
      }),
    );
    servers[0]!.on('connection', () => connections++);
    const pool = new Http1Pool(url, 1);
    expect(await Promise.all([pool.request(post()), pool.request(post()), pool.request(post())])).toEqual([200, 200, 200]);
    pool.close();
    expect(connections).toBe(3);
  });

  it('resolves 0 for an answer that is not HTTP, and for requests still in flight at close()', async () => {
    const garbage = await listen(net.createServer((socket) => socket.once('data', () => socket.write('SSH-2.0-OpenSSH\r\n\r\n'))));
    const pool = new Http1Pool(garbage, 1);
    expect(await pool.request(post())).toBe(0);
    pool.close();

    const silent = await listen(net.createServer(() => {}));
    const stuck = new Http1Pool(silent, 1);
    const pending = stuck.request(post());
    await new Promise((resolve) => setTimeout(resolve, 20));
    stuck.close();
    expect(await pending).toBe(0);
  });

  it('refuses an origin that is not plain http', () => {
    expect(() => new Http1Pool('https://127.0.0.1:1', 1)).toThrow(/plain http only/);
  });
});

describe('bench fake (OpenAI protocol)', () => {
  let fake: BenchFake | undefined;
  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });
  const schema = (name: string) => ({ type: 'json_schema' as const, json_schema: { name, schema: { type: 'object' }, strict: false } });

  it('answers the openai SDK with a completion for the requested model, valid for the capability told by the schema name', async () => {
    fake = await startBenchFake();
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${fake.url}/v1`, maxRetries: 0 });
    const upsell = await client.chat.completions.create({ model: 'gpt-a', messages: [{ role: 'user', content: 'x' }], response_format: schema('reservation_upsell_offer') });
    expect(upsell.model).toBe('gpt-a');
    expect(JSON.parse(upsell.choices[0]!.message.content!)).toMatchObject({ offers: [{ code: 'LATE_CHECKOUT' }] });
    expect(upsell.usage).toMatchObject({ prompt_tokens: 42, completion_tokens: 17 });
    const policy = await client.chat.completions.create({ model: 'gpt-b', messages: [{ role: 'user', content: 'x' }], response_format: schema('support_policy_answer') });
    expect(policy.model).toBe('gpt-b');
    expect(JSON.parse(policy.choices[0]!.message.content!)).toHaveProperty('answer');
    expect(fake.served()).toBe(2);
  });

  it('refuses what it does not serve with a 4xx: a streamed call, another path, a body that is not JSON, bytes that are not HTTP', async () => {
    fake = await startBenchFake();
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${fake.url}/v1`, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'm', messages: [], stream: true })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/does not stream/) });
    expect((await fetch(`${fake.url}/v1/embeddings`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', body: 'not json' })).status).toBe(400);
    const pool = new Http1Pool(fake.url, 1);
    expect(await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'transfer-encoding': 'chunked' }, body: 'zz\r\n' })).toBe(400);
    pool.close();
  });
});
