import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { crc32c } from '../../../shared/util/crc32c.js';

/**
 * A wire fake of Secret Manager's AccessSecretVersion: a gRPC server built from the .proto files that
 * @google-cloud/secret-manager ships, so the real client talks to it unchanged
 * (`new SecretManagerServiceClient({ apiEndpoint: '127.0.0.1', port: fake.port, sslCreds: grpc.credentials.createInsecure() })`).
 */
export interface FakeSecretManager {
  port: number;
  /** Stores a version's payload under its full name (`projects/p/secrets/s/versions/latest`). */
  setSecret(name: string, value: string, opts?: { crc32c?: number | 'omit' }): void;
  deleteSecret(name: string): void;
  /** Names requested by AccessSecretVersion, in order, faults included. */
  accessCalls(): string[];
  /** The next n calls fail with this gRPC status. */
  failNext(n: number, code?: grpc.status): void;
  /** Delay before every answer. */
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

interface StoredVersion {
  data: Buffer;
  crc32c: number | undefined;
}

const require = createRequire(import.meta.url);

function loadSecretManagerService(): grpc.ServiceDefinition {
  const packageMain = require.resolve('@google-cloud/secret-manager');
  const protosRoot = path.resolve(path.dirname(packageMain), '../protos');
  const gaxProtos = path.resolve(path.dirname(require.resolve('google-gax', { paths: [packageMain] })), '../protos');
  const definition = protoLoader.loadSync('google/cloud/secretmanager/v1/service.proto', {
    includeDirs: [protosRoot, gaxProtos],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } } } };
  };
  return pkg.google.cloud.secretmanager.v1.SecretManagerService.service;
}

export async function startFakeSecretManager(): Promise<FakeSecretManager> {
  const versions = new Map<string, StoredVersion>();
  const calls: string[] = [];
  let pendingFaults: grpc.status[] = [];
  let latencyMs = 0;

  const fault = (code: grpc.status, details: string): grpc.ServiceError => Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });

  const handlers: grpc.UntypedServiceImplementation = {
    AccessSecretVersion(call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const { name } = call.request;
      calls.push(name);
      const injected = pendingFaults.shift();
      const answer = () => {
        if (injected !== undefined) return callback(fault(injected, `fake secret manager: injected ${grpc.status[injected]}`));
        const version = versions.get(name);
        if (!version) return callback(fault(grpc.status.NOT_FOUND, `Secret [${name}] not found or has no versions.`));
        const payload = version.crc32c === undefined ? { data: version.data } : { data: version.data, dataCrc32c: String(version.crc32c) };
        callback(null, { name: name.replace(/\/versions\/latest$/, '/versions/1'), payload });
      };
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    },
  };

  const server = new grpc.Server();
  server.addService(loadSecretManagerService(), handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });

  return {
    port,
    setSecret(name, value, opts = {}) {
      const data = Buffer.from(value, 'utf8');
      versions.set(name, { data, crc32c: opts.crc32c === 'omit' ? undefined : (opts.crc32c ?? crc32c(data)) });
    },
    deleteSecret(name) {
      versions.delete(name);
    },
    accessCalls: () => [...calls],
    failNext(n, code = grpc.status.UNAVAILABLE) {
      pendingFaults = Array.from({ length: n }, () => code);
    },
    setLatency(ms) {
      latencyMs = ms;
    },
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
