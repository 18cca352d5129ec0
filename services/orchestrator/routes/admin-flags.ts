import type { Pool } from '../../../shared/db/index.js';
import { AppError } from '../../../shared/errors/app-error.js';
import { bodyValidator, type HttpApp } from '../../../shared/http/index.js';
import { listFlags, upsertFlags, GLOBAL_TENANT, type FlagChange } from '../../../shared/flags/store.js';
import { principalOf, requireScope, SCOPES } from '../../../shared/auth/index.js';

// Flags that raise a tenant's quotas: a tenant admin may restrict itself, but only the platform may lift limits.
const PLATFORM_ONLY_FLAGS = new Set(['rate_limits']);

interface PutFlagsBody {
  flags: Array<{ key: string; tenant_id?: string; enabled: boolean; value?: unknown }>;
}

const parsePutFlags = bodyValidator<PutFlagsBody>({
  type: 'object',
  additionalProperties: false,
  required: ['flags'],
  properties: {
    flags: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'enabled'],
        properties: {
          key: { type: 'string', pattern: '^[a-z][a-z0-9_.:-]{0,127}$' },
          tenant_id: { type: 'string', pattern: '^(\\*|[A-Za-z0-9._-]{1,64})$' },
          enabled: { type: 'boolean' },
          value: {},
        },
      },
    },
  },
});

/**
 * GET/PUT /admin/flags. `ai.admin` reads and sets its own tenant's flags (and reads the global ones);
 * `platform.admin` may set global (`tenant_id: "*"`) or any tenant's flags and list all of them.
 */
export function adminFlagRoutes(app: HttpApp, opts: { pool: Pool; onChange?: () => Promise<void> }): void {
  const admin = { preHandler: requireScope(SCOPES.aiAdmin, SCOPES.platformAdmin) };
  app.get<{ Querystring: { tenant?: unknown } }>('/admin/flags', admin, async (request) => {
    const principal = principalOf(request);
    const platform = principal.scopes.has(SCOPES.platformAdmin);
    const requested = typeof request.query.tenant === 'string' ? request.query.tenant : undefined;
    if (requested && !platform && requested !== principal.tenantId) throw tenantForbidden(requested);
    const tenant = platform ? requested : principal.tenantId;
    return { flags: await listFlags(opts.pool, tenant) };
  });
  app.put('/admin/flags', admin, async (request) => {
    const principal = principalOf(request);
    const platform = principal.scopes.has(SCOPES.platformAdmin);
    const body = parsePutFlags(request.body);
    const changes: FlagChange[] = body.flags.map((f) => Object.assign({}, f, { tenant_id: f.tenant_id ?? principal.tenantId }));
    for (const change of changes) {
      if (!platform && change.tenant_id !== principal.tenantId) throw tenantForbidden(change.tenant_id);
      if (!platform && PLATFORM_ONLY_FLAGS.has(change.key)) {
        throw new AppError({ code: 'flag_forbidden', status: 403, title: 'Forbidden', detail: `The flag "${change.key}" can only be set with platform.admin.` });
      }
    }
    await upsertFlags(opts.pool, changes, principal.subject);
    // This instance applies the change at once; the others pick it up at their next periodic read.
    await opts.onChange?.();
    return { flags: await listFlags(opts.pool, platform ? undefined : principal.tenantId) };
  });
}

function tenantForbidden(tenant: string): AppError {
  const what = tenant === GLOBAL_TENANT ? 'global flags' : `tenant ${tenant}`;
  return new AppError({ code: 'tenant_forbidden', status: 403, title: 'Forbidden', detail: `Your token may not act on ${what}; that takes platform.admin.` });
}
