import type { FastifyRequest } from 'fastify';
import { principalOf, requireScope, SCOPES, TENANT_ID_PATTERN } from '../../../shared/auth/index.js';
import { listBudgets, setBudgetLimits, type BudgetDeps, type BudgetLimitChange } from '../../../shared/budgets/index.js';
import { AppError } from '../../../shared/errors/app-error.js';
import { bodyValidator, invalidInput, type HttpApp } from '../../../shared/http/index.js';

interface PutBudgetsBody {
  budgets: BudgetLimitChange[];
}

const parsePutBudgets = bodyValidator<PutBudgetsBody>({
  type: 'object',
  additionalProperties: false,
  required: ['budgets'],
  properties: {
    budgets: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['period', 'capability', 'limit_micros'],
        properties: {
          period: { type: 'string', enum: ['daily', 'monthly'] },
          // null: the tenant-wide budget.
          capability: { anyOf: [{ type: 'null' }, { type: 'string', pattern: '^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$' }] },
          // Micro-dollars; 2^53 - 1 keeps every sum exact in JS and Lua.
          limit_micros: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
        },
      },
    },
  },
});

/**
 * GET/PUT /admin/tenants/:id/budgets (handbook api.md). PUT sets the listed limits (others untouched) and
 * answers like GET. `ai.admin` acts on its own tenant only, `platform.admin` on any.
 * `deps` is the same object the budget gate is built from; `capabilities` (config.capabilities) rejects
 * limits for unknown capability keys.
 */
export function adminBudgetRoutes(app: HttpApp, opts: { budgets: BudgetDeps; capabilities?: Record<string, unknown> }): void {
  const admin = { preHandler: requireScope(SCOPES.aiAdmin, SCOPES.platformAdmin) };

  app.get<{ Params: { id: string } }>('/admin/tenants/:id/budgets', admin, async (request) => {
    const tenantId = authorizedTenant(request.params.id, request);
    return { budgets: await listBudgets(opts.budgets, tenantId) };
  });

  app.put<{ Params: { id: string } }>('/admin/tenants/:id/budgets', admin, async (request) => {
    const tenantId = authorizedTenant(request.params.id, request);
    const { budgets } = parsePutBudgets(request.body);
    checkChanges(budgets, opts.capabilities);
    return { budgets: await setBudgetLimits(opts.budgets, tenantId, budgets, principalOf(request).subject) };
  });
}

function authorizedTenant(tenantId: string, request: FastifyRequest): string {
  const principal = principalOf(request);
  if (principal.scopes.has(SCOPES.platformAdmin)) {
    if (!TENANT_ID_PATTERN.test(tenantId)) throw invalidInput([{ path: '/id', message: `tenant id must match ${TENANT_ID_PATTERN}` }]);
    return tenantId;
  }
  if (tenantId !== principal.tenantId) {
    throw new AppError({
      code: 'tenant_forbidden',
      status: 403,
      title: 'Forbidden',
      detail: `Your token may not act on tenant ${tenantId}; that takes platform.admin.`,
    });
  }
  return tenantId;
}

function checkChanges(budgets: readonly BudgetLimitChange[], capabilities: Record<string, unknown> | undefined): void {
  const problems: Array<{ path: string; message: string }> = [];
  const seen = new Set<string>();
  budgets.forEach((b, i) => {
    const id = `${b.period}/${b.capability ?? '*'}`;
    if (seen.has(id)) problems.push({ path: `/budgets/${i}`, message: `repeats the ${b.period} budget of ${b.capability ?? 'the tenant'}` });
    seen.add(id);
    if (b.capability !== null && capabilities && !Object.hasOwn(capabilities, b.capability)) {
      problems.push({ path: `/budgets/${i}/capability`, message: `is not a known capability: "${b.capability}"` });
    }
  });
  if (problems.length > 0) throw invalidInput(problems);
}
