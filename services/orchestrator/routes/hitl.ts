import { principalOf, requireScope, SCOPES } from '../../../shared/auth/index.js';
import { decideTask, getTask, HITL_STATUSES, listTasks, type DecideDeps, type HitlStatus } from '../../../shared/hitl/index.js';
import { bodyValidator, type HttpApp } from '../../../shared/http/index.js';

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
export function hitlRoutes(app: HttpApp, deps: DecideDeps): void {
  const reviewer = { preHandler: requireScope(SCOPES.hitlReview) };

  app.get('/v1/hitl/tasks', reviewer, async (request) => {
    const query = parseListQuery({ ...(request.query as Record<string, unknown>) });
    return listTasks(deps.pool, {
        tenantId: principalOf(request).tenantId,
        limit: query.limit ? Number(query.limit) : 20,
        ...(query.status ? { status: query.status } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
  });

  app.get<{ Params: { id: string } }>('/v1/hitl/tasks/:id', reviewer, async (request) => getTask(deps.pool, principalOf(request).tenantId, request.params.id));

  app.post<{ Params: { id: string } }>('/v1/hitl/tasks/:id/approve', reviewer, async (request) => {
    const body = parseApprove(request.body ?? {});
    const principal = principalOf(request);
    const decision = body.output === undefined ? { kind: 'approve' as const } : { kind: 'approve' as const, output: body.output };
    return decideTask(deps, { tenantId: principal.tenantId, taskId: request.params.id, actor: actorOf(principal.subject), decision });
  });

  app.post<{ Params: { id: string } }>('/v1/hitl/tasks/:id/reject', reviewer, async (request) => {
    const body = parseReject(request.body ?? {});
    const principal = principalOf(request);
    return decideTask(deps, { tenantId: principal.tenantId, taskId: request.params.id, actor: actorOf(principal.subject), decision: { kind: 'reject', reason: body.reason } });
  });
}

// decided_by is an id of at most 200 characters in the event schema.
const actorOf = (subject: string): string => subject.slice(0, 200);
