-- Up Migration
-- Foundation: pgvector, tenants, feature flags, and the transactional outbox with its relay lease.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE tenants (
  tenant_id         text PRIMARY KEY,
  display_name      text,
  -- Providers this tenant's data may be sent to (residency policy); NULL = the default policy from config.
  allowed_providers text[],
  data_residency    text NOT NULL DEFAULT 'eu',
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE feature_flags (
  flag_key    text NOT NULL,
  -- '*' applies to every tenant; a tenant id overrides it for that tenant.
  tenant_id   text NOT NULL DEFAULT '*',
  enabled     boolean NOT NULL,
  value       jsonb,
  updated_by  text,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flag_key, tenant_id)
);

CREATE TABLE outbox (
  id               bigserial PRIMARY KEY,
  event_id         uuid NOT NULL UNIQUE,
  event_type       text NOT NULL,
  topic            text NOT NULL,
  -- Pub/Sub ordering key: the tenant, so one tenant's events arrive in the order they were written.
  ordering_key     text NOT NULL,
  attributes       jsonb NOT NULL,
  payload          jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at     timestamptz,
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text,
  next_attempt_at  timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

-- One relay publishes at a time (across instances) so a tenant's events keep their order.
CREATE TABLE outbox_relay_lease (
  name        text PRIMARY KEY,
  holder      text NOT NULL,
  expires_at  timestamptz NOT NULL
);
