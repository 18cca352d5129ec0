import * as grpc from '@grpc/grpc-js';
import { loadGoogleService, serveGrpc } from '../grpc-server.js';
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

  const { port, stop } = await serveGrpc(loadGoogleService('@google-cloud/secret-manager', 'google/cloud/secretmanager/v1/service.proto', 'google.cloud.secretmanager.v1.SecretManagerService'), handlers);

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
    stop,
  };
}
