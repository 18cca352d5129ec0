import { Router } from 'express';
import { principalOf, requireScope, SCOPES } from '../../../shared/auth/index.js';
import type { CapabilityRegistry } from '../../../shared/capabilities/index.js';
import type { FlagReader } from '../../../shared/flags/reader.js';
import { bodyValidator } from '../../../shared/http/index.js';
import { invoke } from '../../../shared/inference/invoke.js';
import type { InferenceDeps } from '../../../shared/inference/types.js';

const parseInvokeBody = bodyValidator<{ input: unknown }>({
  type: 'object',
  additionalProperties: false,
  required: ['input'],
  properties: { input: {} },
});

/** GET /v1/capabilities and POST /v1/capabilities/{key}/invoke. */
export function capabilityRoutes(opts: { inference: InferenceDeps; capabilities: CapabilityRegistry; flags: FlagReader }): Router {
  const router = Router();
  router.get('/v1/capabilities', requireScope(SCOPES.aiInvoke), (_req, res) => {
    const { tenantId } = principalOf(res);
    const visible = opts.capabilities.list().filter((c) => opts.flags.isEnabled(`capability:${c.key}`, tenantId));
    res.json({
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
    });
  });
  router.post('/v1/capabilities/:key/invoke', requireScope(SCOPES.aiInvoke), async (req, res) => {
    const body = parseInvokeBody(req.body ?? {});
    const idempotencyKey = req.get('idempotency-key');
    const result = await invoke(opts.inference, {
      principal: principalOf(res),
      capability: String(req.params.key),
      input: body.input,
      channel: 'invoke',
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    });
    res.json(result);
  });
  return router;
}
