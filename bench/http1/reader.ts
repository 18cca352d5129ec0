/**
 * An incremental reader of HTTP/1.1 messages off a byte stream, for the benches' lean load generator and
 * fake (client.ts, ../bench-fake.ts): the head as a latin1 string and the body as bytes, framed by
 * `content-length` or `transfer-encoding: chunked`. It does only what those two need: no header objects, no
 * streaming body, no trailers kept. A message with neither header has an empty body (a request without one,
 * or a 204/304 answer).
 *
 * Why not Node's http module: in the gateway bench the load generator and the fake share the machine with
 * the service under test, and Node's client and server cost several times what the work itself needs.
 */
export interface Http1Message {
  /** The start line and the header lines, without the blank line that ends them. */
  head: string;
  body: Buffer;
}

export class Http1ParseError extends Error {}

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n|$)/i;
const CHUNKED = /\r\ntransfer-encoding:[^\r]*\bchunked\b/i;

export class Http1Reader {
  #buffered: Buffer | undefined;

  constructor(private readonly onMessage: (message: Http1Message) => void) {}

  /** Bytes off the stream, in order; emits each message as it completes. Throws Http1ParseError on bytes that are not HTTP/1.1. */
  feed(chunk: Buffer): void {
    let buf = this.#buffered ? Buffer.concat([this.#buffered, chunk]) : chunk;
    this.#buffered = undefined;
    for (;;) {
      const consumed = this.#readOne(buf);
      if (consumed === 0) break;
      buf = buf.subarray(consumed);
      if (buf.length === 0) return;
    }
    this.#buffered = buf;
  }

  /** Reads one whole message from the front of `buf`: the bytes it took, or 0 when it is not all there yet. */
  #readOne(buf: Buffer): number {
    const headEnd = buf.indexOf(HEAD_END);
    if (headEnd < 0) {
      if (buf.length > MAX_HEAD_BYTES) throw new Http1ParseError(`no end of head in the first ${MAX_HEAD_BYTES} bytes`);
      return 0;
    }
    const head = buf.toString('latin1', 0, headEnd);
    const bodyStart = headEnd + HEAD_END.length;
    if (CHUNKED.test(head)) {
      const chunked = readChunkedBody(buf, bodyStart);
      if (!chunked) return 0;
      this.onMessage({ head, body: chunked.body });
      return chunked.end;
    }
    const length = CONTENT_LENGTH.exec(head);
    const bodyLength = length ? Number(length[1]) : 0;
    if (buf.length < bodyStart + bodyLength) return 0;
    this.onMessage({ head, body: buf.subarray(bodyStart, bodyStart + bodyLength) });
    return bodyStart + bodyLength;
  }
}

/** A chunked body from `start`: its bytes and where it ends (after the last chunk and the trailer section), or undefined when incomplete. */
function readChunkedBody(buf: Buffer, start: number): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const sizeText = buf.toString('latin1', at, lineEnd).split(';')[0]!.trim();
    if (!/^[0-9a-f]+$/i.test(sizeText)) throw new Http1ParseError(`bad chunk size ${JSON.stringify(sizeText)}`);
    const size = parseInt(sizeText, 16);
    at = lineEnd + 2;
    if (size === 0) {
      // Trailer lines, if any, then an empty line.
      for (;;) {
        const end = buf.indexOf('\r\n', at);
        if (end < 0) return undefined;
        if (end === at) return { body: parts.length === 1 ? parts[0]! : Buffer.concat(parts), end: end + 2 };
        at = end + 2;
      }
    }
    if (buf.length < at + size + 2) return undefined;
    if (buf[at + size] !== 0x0d || buf[at + size + 1] !== 0x0a) throw new Http1ParseError('chunk not followed by CRLF');
    parts.push(buf.subarray(at, at + size));
    at += size + 2;
  }
}

/** The status code of a response head (`HTTP/1.1 200 OK…`). */
export function statusOf(head: string): number {
  const status = head.startsWith('HTTP/1.') ? Number(head.slice(9, 12)) : NaN;
  if (!Number.isInteger(status) || status < 100) throw new Http1ParseError(`not a response status line: ${JSON.stringify(head.slice(0, 40))}`);
  return status;
}

/** Whether the peer closes the connection after this message (`connection: close`). */
export function closesAfter(head: string): boolean {
  return /\r\nconnection:[^\r]*\bclose\b/i.test(head);
}
