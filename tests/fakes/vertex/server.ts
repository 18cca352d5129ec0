import { splitText, startHttpFake, type Answer, type HttpFake, type HttpFakeOptions, type RecordedRequest, type WireProtocol, type WireResponse } from '../http-fake.js';

/**
 * A wire fake of Vertex AI's Gemini endpoints, for `@google/genai` with `vertexai: true` and
 * `httpOptions.baseUrl` pointing here:
 * `POST /v1beta1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent` (JSON) and
 * `…:streamGenerateContent?alt=sse` (SSE, one GenerateContentResponse per `data:` frame).
 * Errors are google.rpc.Status bodies; a 429's retry hint is a google.rpc.RetryInfo detail.
 */
export type FakeVertex = HttpFake;

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const modelOf = (req: RecordedRequest) => /\/models\/([^:/?]+):/.exec(req.path)?.[1] ?? 'unknown';

const usageMetadata = (a: Answer, output = a.usage.output) => ({
  promptTokenCount: a.usage.input,
  candidatesTokenCount: output,
  totalTokenCount: a.usage.input + output,
});

function response(a: Answer, parts: Array<{ text: string }>, finishReason?: string, output?: number) {
  return {
    candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), index: 0 }],
    usageMetadata: usageMetadata(a, output),
    modelVersion: a.model,
    createTime: new Date().toISOString(),
    responseId: 'fake-response-id',
  };
}

function refusal(a: Answer) {
  return {
    candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }] }],
    usageMetadata: usageMetadata(a, 0),
    modelVersion: a.model,
  };
}

const frame = (data: unknown) => `data: ${JSON.stringify(data)}\r\n\r\n`;

const protocol: WireProtocol = {
  isStream: (req) => req.path.includes(':streamGenerateContent'),

  answer(_req, a, stream): WireResponse {
    if (!stream) return { status: 200, json: a.refusal ? refusal(a) : response(a, a.text ? [{ text: a.text }] : [], 'STOP') };
    if (a.refusal) return { sse: { head: [], deltas: [], tail: [frame(refusal(a))] } };
    const pieces = a.text ? splitText(a.text) : [];
    // Each chunk carries the running usage; the last one the finish reason and the totals.
    const deltas = pieces.map((text, i) => frame(response(a, [{ text }], undefined, i + 1)));
    return { sse: { head: [], deltas, tail: [frame(response(a, [{ text: '' }], 'STOP'))] } };
  },

  error(status, retryAfter): WireResponse {
    const details = retryAfter ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfter}s` }] : undefined;
    return { status, json: { error: { code: status, message: `fake error ${status}`, status: STATUS_NAMES[status] ?? 'UNKNOWN', details } } };
  },
};

export function startFakeVertex(opts: HttpFakeOptions = {}): Promise<FakeVertex> {
  return startHttpFake(protocol, modelOf, opts);
}
