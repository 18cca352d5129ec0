import { Router } from 'express';
import { principalOf, requireScope, SCOPES } from '../../../shared/auth/index.js';
import { decideTask, getTask, HITL_STATUSES, listTasks, type DecideDeps, type HitlStatus } from '../../../shared/hitl/index.js';
import { bodyValidator } from '../../../shared/http/index.js';

const parseListQuery = bodyValidator<{ status?: HitlStatus; limit?: string; cursor?: string }>({
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: HITL_STATUSES },
    limit: { type: 'string', pattern: '^(100|[1-9][0-9]?)$' },
    cursor: { type: 'string', minLength: 1, maxLength: 200 },
  },
});

const parseApprove = bodyValidator<{ output?: unknown }>({
  type: 'object',
  additionalProperties: false,
  properties: { output: {} },
});

const parseReject = bodyValidator<{ reason: string }>({
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } },
});

/**
 * Human review (`hitl.review`, the token's own tenant only; another tenant's task is a 404):
 * GET /v1/hitl/tasks[?status=&limit=&cursor=], GET /v1/hitl/tasks/{id}, POST …/{id}/approve, POST …/{id}/reject.
 */
export function hitlRoutes(deps: DecideDeps): Router {
  const router = Router();
  const reviewer = requireScope(SCOPES.hitlReview);

  router.get('/v1/hitl/tasks', reviewer, async (req, res) => {
    const query = parseListQuery({ ...(req.query as Record<string, unknown>) });
    res.json(
      await listTasks(deps.pool, {
        tenantId: principalOf(res).tenantId,
        limit: query.limit ? Number(query.limit) : 20,
        ...(query.status ? { status: query.status } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
      }),
    );
  });

  router.get('/v1/hitl/tasks/:id', reviewer, async (req, res) => {
    res.json(await getTask(deps.pool, principalOf(res).tenantId, String(req.params.id)));
  });

  router.post('/v1/hitl/tasks/:id/approve', reviewer, async (req, res) => {
    const body = parseApprove(req.body ?? {});
    const principal = principalOf(res);
    const decision = body.output === undefined ? { kind: 'approve' as const } : { kind: 'approve' as const, output: body.output };
    res.json(await decideTask(deps, { tenantId: principal.tenantId, taskId: String(req.params.id), actor: actorOf(principal.subject), decision }));
  });

  router.post('/v1/hitl/tasks/:id/reject', reviewer, async (req, res) => {
    const body = parseReject(req.body ?? {});
    const principal = principalOf(res);
    res.json(await decideTask(deps, { tenantId: principal.tenantId, taskId: String(req.params.id), actor: actorOf(principal.subject), decision: { kind: 'reject', reason: body.reason } }));
  });
  return router;
}

// decided_by is an id of at most 200 characters in the event schema.
const actorOf = (subject: string): string => subject.slice(0, 200);
