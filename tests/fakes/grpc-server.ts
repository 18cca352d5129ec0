import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The plumbing the gRPC wire fakes share: a Google API service definition loaded from the protos the
 * client SDK itself ships (so the fake speaks exactly the wire format the SDK expects), and an insecure
 * server on a free loopback port.
 */
const require = createRequire(import.meta.url);

/**
 * `sdk` is the npm package (its `protos/` folder holds `protoFile`; google-gax's holds the common types),
 * `service` the dotted service name, e.g. `google.cloud.kms.v1.KeyManagementService`.
 */
export function loadGoogleService(sdk: string, protoFile: string, service: string): grpc.ServiceDefinition {
  const sdkMain = require.resolve(sdk);
  const gaxMain = require.resolve('google-gax', { paths: [sdkMain] });
  const definition = protoLoader.loadSync(protoFile, {
    includeDirs: [path.resolve(path.dirname(sdkMain), '../protos'), path.resolve(path.dirname(gaxMain), '../protos')],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  let node: unknown = grpc.loadPackageDefinition(definition);
  for (const part of service.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  const found = (node as { service?: grpc.ServiceDefinition } | undefined)?.service;
  if (!found) throw new Error(`fake: no service ${service} in ${protoFile}`);
  return found;
}

export interface RunningGrpcServer {
  port: number;
  stop(): Promise<void>;
}

export async function serveGrpc(service: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation): Promise<RunningGrpcServer> {
  const server = new grpc.Server();
  server.addService(service, handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Clients with open channels would hold tryShutdown; the fake never needs a graceful end.
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000).unref();
      }),
  };
}
