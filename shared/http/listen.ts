import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpApp } from './app.js';

/** Starts a service's app on `port` (0 = any free port) and `host` (default: every interface). */
export async function listenHttp(app: HttpApp, port: number, host?: string): Promise<{ server: Server; port: number }> {
  await app.ready();
  const server = app.server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
