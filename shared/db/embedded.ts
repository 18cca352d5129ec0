import { mkdirSync, writeFileSync, readFileSync, rmSync, openSync, closeSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * The embedded database: PGlite (Postgres compiled to WASM, with pgvector) served on a loopback port by
 * pglite-socket, so the same `pg` code runs embedded and against Cloud SQL.
 *
 * One process owns the data directory at a time (PGlite is single-process). The owner records its port in
 * `<dataDir>/pg-server.json`; other processes (jobs, a second `npm start`) connect to that port instead.
 */
export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

interface ServerRecord {
  pid: number;
  port: number;
}

const RECORD_FILE = 'pg-server.json';
const LOCK_FILE = 'pg.lock';

export function embeddedUrl(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** The URL of an embedded server another live process already serves from dataDir, if any. */
export async function findRunningEmbeddedServer(dataDir: string): Promise<string | undefined> {
  const record = readRecord(dataDir);
  if (!record || !processAlive(record.pid)) return undefined;
  return (await portAnswers(record.port)) ? embeddedUrl(record.port) : undefined;
}

/**
 * Starts PGlite on dataDir/pg and serves it on 127.0.0.1:port (0 = any free port).
 * `publish: false` keeps the port unrecorded until the caller says the database is ready (after migrations),
 * so no other process connects to a half-migrated database.
 */
export async function startEmbeddedServer(opts: { dataDir: string; port?: number; memory?: boolean }): Promise<EmbeddedServer & { publish(): void }> {
  mkdirSync(opts.dataDir, { recursive: true });
  const lockPath = path.join(opts.dataDir, LOCK_FILE);
  if (!opts.memory) acquireLock(lockPath);
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    db = await PGlite.create({
      dataDir: opts.memory ? undefined : path.join(opts.dataDir, 'pg'),
      extensions: { vector },
    });
    // Many pooled clients share the one PGlite session; pglite-socket queues their protocol messages.
    server = new PGLiteSocketServer({ db: keepExtendedQueriesTogether(db), host: '127.0.0.1', port: opts.port ?? 0, maxConnections: 200 });
    await server.start();
  } catch (err) {
    await db?.close().catch(() => {});
    if (!opts.memory) rmSync(lockPath, { force: true });
    throw err;
  }
  const port = Number(server.getServerConn().split(':').pop());
  const started = { db, server };
  let published = false;
  return {
    url: embeddedUrl(port),
    publish() {
      if (opts.memory) return;
      writeFileSync(path.join(opts.dataDir, RECORD_FILE), JSON.stringify({ pid: process.pid, port } satisfies ServerRecord));
      published = true;
    },
    async stop() {
      if (published) rmSync(path.join(opts.dataDir, RECORD_FILE), { force: true });
      await started.server.stop();
      await started.db.close();
      if (!opts.memory) rmSync(lockPath, { force: true });
    },
  };
}

// Extended-protocol message types (Parse, Bind, Describe, Execute, Close, Flush) and Sync, which ends a sequence.
const EXTENDED_MESSAGES = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);

/**
 * pglite-socket queues protocol messages one at a time and keeps one connection's messages together only
 * while PGlite reports an open transaction. A parameterised query outside a transaction is several
 * messages (Parse/Bind/Describe/Execute, then Sync); when another connection's message ran in between, the
 * two clobbered each other's unnamed statement and a client could read another's result (measured: 400
 * wrong answers out of ~1,000 with two pollers beside a stream of short transactions; 0 with this).
 * So the server is handed a view of the database that also reports "in a transaction" from a sequence's
 * first extended message until its Sync, which makes the queue hold that connection's turn.
 */
function keepExtendedQueriesTogether(db: PGlite): PGlite {
  let midSequence = false;
  const execProtocolRawStream: PGlite['execProtocolRawStream'] = (message, options) => {
    const type = message[0];
    if (type === SYNC) midSequence = false;
    else if (type !== undefined && EXTENDED_MESSAGES.has(type)) midSequence = true;
    return db.execProtocolRawStream(message, options);
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'isInTransaction') return () => midSequence || target.isInTransaction();
      if (prop === 'execProtocolRawStream') return execProtocolRawStream;
      // The server runs exec('ROLLBACK') for a client that vanished mid-transaction: its sequence is over too.
      if (prop === 'exec') {
        return (...args: Parameters<PGlite['exec']>) => {
          midSequence = false;
          return target.exec(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Takes dataDir's lock file, replacing one left by a dead process; fails if a live process holds it. */
function acquireLock(lockPath: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockPath, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
        throw new Error(
          `the embedded database in ${path.dirname(lockPath)} is held by process ${holder}, which is still starting or is not serving it; ` +
            'wait for it to be ready, stop it, or set DATABASE_URL',
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`cannot take the embedded database lock ${lockPath}`);
}

function readRecord(dataDir: string): ServerRecord | undefined {
  const file = path.join(dataDir, RECORD_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServerRecord>;
    return typeof parsed.pid === 'number' && typeof parsed.port === 'number' ? (parsed as ServerRecord) : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
