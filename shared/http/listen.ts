import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server for a Cloud Run service, listening on `port` (0 = any free port). */
export async function listenHttp(app: RequestListener, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer(app);
  // Above Cloud Run's front-end idle timeout, so the proxy, not us, closes idle keep-alive connections.
  server.keepAliveTimeout = 620_000;
  server.headersTimeout = 621_000;
  await new Promise<void>((resolve) => server.listen(port, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
