import net, { type AddressInfo } from 'node:net';
import { DEFAULT_TEXT, DEFAULT_USAGE } from '../tests/fakes/http-fake.js';
import { Http1Reader, type Http1Message } from './http1/reader.js';

const UPSELL_ANSWER = JSON.stringify({ offers: [{ code: 'LATE_CHECKOUT', title: 'Late checkout', pitch: 'Keep the room until 14:00.' }], reason: 'Gold guests value a slow morning.' });

export interface BenchFake {
  /** `http://127.0.0.1:port` */
  url: string;
  /** Requests answered so far, errors included. */
  served(): number;
  stop(): Promise<void>;
}

/**
 * The benches' zero-latency OpenAI-protocol fake: `POST /v1/chat/completions`, answered at once with a
 * complete (non-streamed) `chat.completion` for the requested model, whose content is valid for the capability's output schema, told
 * by the request's `response_format` schema name (an upsell offer for `reservation…`, the policy answer of
 * the tests' fake otherwise). The answers are made once per model, as bytes; requests are read with Http1Reader.
 *
 * It answers what the tests' wire fake (tests/fakes/openai-vendor) answers for such a request, but on a
 * bare socket: in the gateway bench it shares a process with the load generator and the machine with the
 * service under test, and Node's http server cost several times this. A request it does not serve (another
 * path, a streamed call, a body that is not JSON) gets a 4xx that the bench counts as an error.
 */
export async function startBenchFake(): Promise<BenchFake> {
  let served = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const reader = new Http1Reader((message) => {
      served++;
      socket.write(answerTo(message));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.feed(chunk);
      } catch {
        socket.end(ANSWERS.malformed);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served: () => served,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function answerTo(message: Http1Message): Buffer {
  const requestLine = message.head.slice(0, message.head.indexOf('\r\n'));
  if (!requestLine.startsWith('POST /v1/chat/completions ')) return ANSWERS.notFound;
  let body: { model?: unknown; stream?: unknown; response_format?: { json_schema?: { name?: unknown } } };
  try {
    body = JSON.parse(message.body.toString('utf8')) as typeof body;
  } catch {
    return ANSWERS.notJson;
  }
  if (body.stream === true) return ANSWERS.noStreaming;
  const schemaName = body.response_format?.json_schema?.name;
  const content = typeof schemaName === 'string' && schemaName.startsWith('reservation') ? UPSELL_ANSWER : DEFAULT_TEXT;
  return completionFor(typeof body.model === 'string' ? body.model : 'unknown', content);
}

// The answers as bytes, per model (a completion names the model it answers for) and content: a handful.
const completions = new Map<string, Buffer>();
function completionFor(model: string, content: string): Buffer {
  const key = `${model}\n${content}`;
  let bytes = completions.get(key);
  if (!bytes) {
    bytes = response('200 OK', completion(model, content));
    if (completions.size < 64) completions.set(key, bytes);
  }
  return bytes;
}

function response(status: string, json: unknown): Buffer {
  const body = JSON.stringify(json);
  return Buffer.from(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

function completion(model: string, content: string) {
  return {
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: DEFAULT_USAGE.input, completion_tokens: DEFAULT_USAGE.output, total_tokens: DEFAULT_USAGE.input + DEFAULT_USAGE.output },
  };
}

const error = (message: string) => ({ error: { message, type: 'invalid_request_error', param: null, code: 'invalid_request_error' } });

const ANSWERS = {
  notFound: response('404 Not Found', error('the bench fake serves POST /v1/chat/completions only')),
  notJson: response('400 Bad Request', error('the request body is not JSON')),
  noStreaming: response('400 Bad Request', error('the bench fake does not stream')),
  malformed: response('400 Bad Request', error('malformed HTTP/1.1 request')),
};
