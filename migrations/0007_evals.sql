-- Up Migration
-- Offline evaluation of capabilities (jobs/eval-runner): one row per run, one per case. A run is written
-- with its results and its eval.run_completed event in one transaction, so a crashed run leaves nothing.
CREATE TABLE eval_runs (
  run_id        uuid PRIMARY KEY,
  suite         text NOT NULL,
  dataset_uri   text NOT NULL,
  -- sha256 of the dataset bytes: two runs over the same cases can be compared.
  dataset_hash  text NOT NULL,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz NOT NULL,
  passed        integer NOT NULL,
  failed        integer NOT NULL,
  degraded      integer NOT NULL,
  score         double precision NOT NULL CHECK (score >= 0 AND score <= 1),
  p50_ms        integer NOT NULL,
  p95_ms        integer NOT NULL,
  cost_micros   bigint NOT NULL,
  requested_by  text
);
CREATE INDEX eval_runs_suite_idx ON eval_runs (suite, started_at DESC);

CREATE TABLE eval_results (
  run_id       uuid NOT NULL REFERENCES eval_runs (run_id) ON DELETE CASCADE,
  case_id      text NOT NULL,
  capability   text NOT NULL,
  passed       boolean NOT NULL,
  provider     text,
  model        text,
  degraded     boolean NOT NULL DEFAULT false,
  latency_ms   integer NOT NULL,
  cost_micros  bigint NOT NULL DEFAULT 0,
  -- Why the case failed: unmet expectations or the chain's error. Empty when it passed.
  failures     jsonb NOT NULL DEFAULT '[]',
  output       jsonb,
  PRIMARY KEY (run_id, case_id)
);
