import net from 'node:net';
import { closesAfter, Http1Reader, statusOf, type Http1Message } from './reader.js';

export interface Http1Request {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * The benches' load-generating HTTP/1.1 client: up to `size` keep-alive connections to one origin, one
 * request in flight on each (no pipelining), a request written as one string and an answer read with
 * Http1Reader. It resolves the answer's status, or 0 when the connection failed or closed before the whole
 * answer came (the next request then opens a new connection). Requests beyond `size` wait for a connection,
 * first come first served.
 *
 * Measured against Node's http.request with a keep-alive Agent (what the load generator used before), both
 * driving the benches' fake in one process, in one run: see the README's performance section.
 */
export class Http1Pool {
  readonly #host: string;
  readonly #port: number;
  readonly #hostHeader: string;
  readonly #size: number;
  readonly #idle: Http1Connection[] = [];
  readonly #waiting: Array<(c: Http1Connection) => void> = [];
  readonly #all = new Set<Http1Connection>();

  constructor(origin: string | URL, size: number) {
    const url = new URL(origin);
    if (url.protocol !== 'http:') throw new Error(`Http1Pool: plain http only, not ${url.protocol}`);
    this.#host = url.hostname;
    this.#port = Number(url.port || 80);
    this.#hostHeader = url.host;
    this.#size = size;
  }

  async request(req: Http1Request): Promise<number> {
    const connection = await this.#take();
    let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${this.#hostHeader}\r\n`;
    for (const name in req.headers) head += `${name}: ${req.headers[name]}\r\n`;
    const status = await connection.send(`${head}content-length: ${Buffer.byteLength(req.body)}\r\n\r\n${req.body}`);
    this.#give(connection);
    return status;
  }

  /** Closes every connection; requests in flight resolve 0. */
  close(): void {
    for (const c of this.#all) c.destroy();
    this.#all.clear();
    this.#idle.length = 0;
  }

  #take(): Promise<Http1Connection> {
    for (let c = this.#idle.pop(); c; c = this.#idle.pop()) if (c.usable) return Promise.resolve(c);
    if (this.#all.size < this.#size) {
      const c = new Http1Connection(this.#host, this.#port, () => this.#all.delete(c));
      this.#all.add(c);
      return Promise.resolve(c);
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #give(connection: Http1Connection): void {
    let next = connection;
    if (!connection.usable) {
      // A closed connection's place goes to a new one, for whoever waits.
      if (this.#waiting.length === 0) return;
      next = new Http1Connection(this.#host, this.#port, () => this.#all.delete(next));
      this.#all.add(next);
    }
    const waiter = this.#waiting.shift();
    if (waiter) waiter(next);
    else this.#idle.push(next);
  }
}

/** One keep-alive connection: one request at a time (the pool hands it to one caller until the answer). */
class Http1Connection {
  readonly #socket: net.Socket;
  readonly #reader: Http1Reader;
  #pending: ((status: number) => void) | undefined;
  #closed = false;
  #closeAfterAnswer = false;

  constructor(host: string, port: number, onClose: () => void) {
    this.#reader = new Http1Reader((m) => this.#answered(m));
    this.#socket = net.connect({ host, port, noDelay: true });
    this.#socket.on('data', (chunk: Buffer) => {
      try {
        this.#reader.feed(chunk);
      } catch {
        this.destroy();
      }
    });
    this.#socket.on('error', () => this.destroy());
    this.#socket.on('close', () => {
      this.#closed = true;
      this.#settle(0);
      onClose();
    });
  }

  get usable(): boolean {
    return !this.#closed && !this.#closeAfterAnswer;
  }

  send(bytes: string): Promise<number> {
    if (this.#closed) return Promise.resolve(0);
    return new Promise((resolve) => {
      this.#pending = resolve;
      this.#socket.write(bytes);
    });
  }

  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
    this.#settle(0);
  }

  #answered(message: Http1Message): void {
    let status: number;
    try {
      status = statusOf(message.head);
    } catch {
      this.destroy();
      return;
    }
    if (closesAfter(message.head)) this.#closeAfterAnswer = true;
    this.#settle(status);
    if (this.#closeAfterAnswer) this.#socket.end();
  }

  #settle(status: number): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.(status);
  }
}
