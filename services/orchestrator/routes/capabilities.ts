import { principalOf, requireScope, SCOPES } from '../../../shared/auth/index.js';
import type { CapabilityRegistry } from '../../../shared/capabilities/index.js';
import type { FlagReader } from '../../../shared/flags/reader.js';
import { bodyValidator, type HttpApp } from '../../../shared/http/index.js';
import { invoke } from '../../../shared/inference/invoke.js';
import type { InferenceDeps } from '../../../shared/inference/types.js';

const parseInvokeBody = bodyValidator<{ input: unknown }>({
  type: 'object',
  additionalProperties: false,
  required: ['input'],
  properties: { input: {} },
});

/** GET /v1/capabilities and POST /v1/capabilities/{key}/invoke. */
export function capabilityRoutes(app: HttpApp, opts: { inference: InferenceDeps; capabilities: CapabilityRegistry; flags: FlagReader }): void {
  const invoker = { preHandler: requireScope(SCOPES.aiInvoke) };
  app.get('/v1/capabilities', invoker, async (request) => {
    const { tenantId } = principalOf(request);
    const visible = opts.capabilities.list().filter((c) => opts.flags.isEnabled(`capability:${c.key}`, tenantId));
    return {
      capabilities: visible.map((c) => ({
        key: c.key,
        description: c.description,
        input_schema: c.inputSchema,
        output_schema: c.outputSchema,
        prompt_version: c.prompt.version,
        hitl: c.hitl,
        rag: c.rag,
        providers: c.chain.map((l) => `${l.provider}:${l.model}`),
      })),
    };
  });
  app.post<{ Params: { key: string } }>('/v1/capabilities/:key/invoke', invoker, async (request) => {
    const body = parseInvokeBody(request.body ?? {});
    const idempotencyKey = request.headers['idempotency-key'];
    return invoke(opts.inference, {
      principal: principalOf(request),
      capability: request.params.key,
      input: body.input,
      channel: 'invoke',
      ...(typeof idempotencyKey === 'string' ? { idempotencyKey } : {}),
    });
  });
}
