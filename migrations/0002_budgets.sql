-- Up Migration
-- Budgets: configured limits per tenant, and the ledger of record of every budget period.
-- Money is integer micro-dollars. capability '*' = the tenant-wide budget (every capability).

CREATE TABLE tenant_budget_limits (
  tenant_id     text NOT NULL,
  capability    text NOT NULL DEFAULT '*',
  period        text NOT NULL CHECK (period IN ('daily', 'monthly')),
  limit_micros  bigint NOT NULL CHECK (limit_micros >= 0),
  updated_by    text,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, capability, period)
);

-- One row per (tenant, scope, period): what was settled in it. Periods are UTC days and months.
-- Amounts reserved by calls in flight live in the key/value store's counters, not here.
CREATE TABLE budget_periods (
  id                   bigserial PRIMARY KEY,
  tenant_id            text NOT NULL,
  capability           text NOT NULL DEFAULT '*',
  period               text NOT NULL CHECK (period IN ('daily', 'monthly')),
  period_start         timestamptz NOT NULL,
  period_end           timestamptz NOT NULL,
  -- NULL: no limit for this scope; spend is still recorded, so a limit set mid-period counts it.
  limit_micros         bigint CHECK (limit_micros >= 0),
  spent_micros         bigint NOT NULL DEFAULT 0 CHECK (spent_micros >= 0),
  calls                bigint NOT NULL DEFAULT 0 CHECK (calls >= 0),
  -- Bits of the 50/80/100 % thresholds already announced (1, 2, 4): each is announced once per period.
  thresholds_notified  smallint NOT NULL DEFAULT 0,
  closed_at            timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, capability, period, period_start),
  CHECK (period_end > period_start)
);

-- The resetter's scan: ended periods not closed yet.
CREATE INDEX budget_periods_open_idx ON budget_periods (period_end) WHERE closed_at IS NULL;
