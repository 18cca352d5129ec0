-- Up Migration
-- Signed model manifests for desktop clients (services/manifest-signer).

-- The last version signed per channel. Recording a manifest moves it forward with one conditional upsert
-- (`... DO UPDATE ... WHERE last_version < EXCLUDED.last_version`): of two concurrent requests for one
-- channel exactly one wins, and a version can never go back (rollback protection).
CREATE TABLE manifest_channels (
  channel       text PRIMARY KEY,
  last_version  bigint NOT NULL CHECK (last_version > 0),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Every manifest the signer returned: what was signed, by which key, for whom, and when.
CREATE TABLE manifests (
  id                   bigserial PRIMARY KEY,
  channel              text NOT NULL REFERENCES manifest_channels (channel),
  version              bigint NOT NULL CHECK (version > 0),
  payload              jsonb NOT NULL,
  -- sha256 (hex) of the RFC 8785 canonical payload: the exact bytes the signature covers.
  payload_sha256       text NOT NULL,
  signatures           jsonb NOT NULL,
  keyid                text NOT NULL,
  -- The KMS CryptoKeyVersion name (or `local:<n>` for the embedded key ring) that signed.
  key_version          text NOT NULL,
  expires_at           timestamptz NOT NULL,
  requested_by         text NOT NULL,
  requested_by_tenant  text NOT NULL,
  request_token_id     text,
  signed_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel, version)
);
CREATE INDEX manifests_keyid_idx ON manifests (keyid);
