import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadGoogleService, serveGrpc } from '../grpc-server.js';

/**
 * A wire fake of Pub/Sub's Publisher service: a gRPC server built from the .proto files that
 * @google-cloud/pubsub ships, so the real client library talks to it unchanged
 * (`new PubSub({ projectId, apiEndpoint: fake.host, emulatorMode: true })`).
 */
export interface StoredMessage {
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey: string;
  publishTime: Date;
}

export interface FakePubSub {
  /** host:port for the client's `apiEndpoint` (or PUBSUB_EMULATOR_HOST). */
  host: string;
  /** Messages stored on a topic, in the order they were accepted; `topic` is the short or the full name. */
  messages(topic: string): StoredMessage[];
  /** Every stored message of every topic. */
  allMessages(): StoredMessage[];
  /** Publish RPCs received, including the ones answered with a fault. */
  publishCalls(): number;
  /** The next n Publish RPCs fail with this gRPC status (default UNAVAILABLE). */
  failNext(n: number, code?: grpc.status): void;
  /** While on, every Publish RPC is answered UNAVAILABLE (Pub/Sub is down). */
  setUnavailable(on: boolean): void;
  /** Delay before every answer. */
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

interface PublishRequest {
  topic: string;
  messages: Array<{ data: Buffer; attributes: Record<string, string>; orderingKey: string }>;
}

export async function startFakePubSub(): Promise<FakePubSub> {
  const byTopic = new Map<string, StoredMessage[]>();
  const topics = new Set<string>();
  let pendingFaults: grpc.status[] = [];
  let unavailable = false;
  let latencyMs = 0;
  let calls = 0;

  const delay = () => (latencyMs > 0 ? new Promise((r) => setTimeout(r, latencyMs)) : Promise.resolve());
  const fault = (code: grpc.status, details: string): grpc.ServiceError =>
    Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });

  const handlers: grpc.UntypedServiceImplementation = {
    Publish(call: grpc.ServerUnaryCall<PublishRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
      calls++;
      const injected = pendingFaults.shift();
      void delay().then(() => {
        if (unavailable) return callback(fault(grpc.status.UNAVAILABLE, 'fake pubsub: service unavailable'));
        if (injected !== undefined) return callback(fault(injected, `fake pubsub: injected ${grpc.status[injected]}`));
        const { topic, messages } = call.request;
        if (messages.length === 0) return callback(fault(grpc.status.INVALID_ARGUMENT, 'fake pubsub: no messages'));
        topics.add(topic);
        const stored = byTopic.get(topic) ?? [];
        byTopic.set(topic, stored);
        const messageIds = messages.map((m) => {
          const messageId = randomUUID();
          stored.push({ messageId, data: Buffer.from(m.data), attributes: { ...m.attributes }, orderingKey: m.orderingKey, publishTime: new Date() });
          return messageId;
        });
        callback(null, { messageIds });
      });
    },
    CreateTopic(call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      void delay().then(() => {
        if (topics.has(call.request.name)) return callback(fault(grpc.status.ALREADY_EXISTS, 'fake pubsub: topic exists'));
        topics.add(call.request.name);
        callback(null, { name: call.request.name });
      });
    },
    GetTopic(call: grpc.ServerUnaryCall<{ topic: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      void delay().then(() => {
        if (!topics.has(call.request.topic)) return callback(fault(grpc.status.NOT_FOUND, 'fake pubsub: topic not found'));
        callback(null, { name: call.request.topic });
      });
    },
  };

  const { port, stop } = await serveGrpc(loadGoogleService('@google-cloud/pubsub', 'google/pubsub/v1/pubsub.proto', 'google.pubsub.v1.Publisher'), handlers);

  const find = (topic: string): StoredMessage[] => {
    if (topic.startsWith('projects/')) return [...(byTopic.get(topic) ?? [])];
    const suffix = `/topics/${topic}`;
    return [...byTopic.entries()].filter(([name]) => name.endsWith(suffix)).flatMap(([, msgs]) => msgs);
  };

  return {
    host: `127.0.0.1:${port}`,
    messages: find,
    allMessages: () => [...byTopic.values()].flat(),
    publishCalls: () => calls,
    failNext(n, code = grpc.status.UNAVAILABLE) {
      pendingFaults = Array.from({ length: n }, () => code);
    },
    setUnavailable(on) {
      unavailable = on;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    stop,
  };
}
