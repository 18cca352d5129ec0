import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';

/** What a desktop client trusts: the model artifacts of one channel, up to a version and an expiry. */
export interface ManifestArtifact {
  name: string;
  version: string;
  /** Lowercase hex SHA-256 of the artifact's bytes. */
  sha256: string;
  size: number;
  uri: string;
}

export interface ManifestPayload {
  channel: string;
  /** Strictly increasing per channel: a client never accepts one at or below the last it accepted. */
  version: number;
  /** RFC 3339 date-time. */
  expires_at: string;
  artifacts: ManifestArtifact[];
  /** Semantic version of the oldest desktop client that may use these artifacts. */
  min_client_version: string;
}

// Every string is printable ASCII, so the canonical JSON (RFC 8785) of any accepted payload is also what
// `jq -cjS .payload` prints: the README's openssl recipe depends on it.
const PRINTABLE = '[\\x21-\\x7e]';

/** JSON Schema of a manifest payload (shared by the signer, which refuses others, and the verifier). */
export const manifestPayloadSchema = {
  $id: 'manifest-payload',
  type: 'object',
  additionalProperties: false,
  required: ['channel', 'version', 'expires_at', 'artifacts', 'min_client_version'],
  properties: {
    channel: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' },
    version: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    expires_at: { type: 'string', format: 'date-time', maxLength: 40 },
    min_client_version: { type: 'string', pattern: '^(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})(-[0-9A-Za-z.-]{1,64})?$' },
    artifacts: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'version', 'sha256', 'size', 'uri'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$' },
          version: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$' },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          size: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
          uri: { type: 'string', maxLength: 2048, pattern: `^(https|gs)://${PRINTABLE}+$`, format: 'uri' },
        },
      },
    },
  },
} as const;

export interface PayloadProblem {
  path: string;
  message: string;
}

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats.default(ajv);
const validate = ajv.compile<ManifestPayload>(manifestPayloadSchema);

/** The payload as a ManifestPayload, or the list of what is wrong with it. */
export function checkManifestPayload(value: unknown): { ok: true; payload: ManifestPayload } | { ok: false; problems: PayloadProblem[] } {
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map((e) => ({
      path: e.instancePath || '/',
      message:
        e.keyword === 'additionalProperties'
          ? `has unknown property "${String(e.params.additionalProperty)}"`
          : e.keyword === 'required'
            ? `is missing required property "${String(e.params.missingProperty)}"`
            : (e.message ?? 'is invalid'),
    }));
    return { ok: false, problems };
  }
  const seen = new Map<string, number>();
  for (const [index, artifact] of value.artifacts.entries()) {
    const first = seen.get(artifact.name);
    if (first !== undefined) return { ok: false, problems: [{ path: `/artifacts/${index}/name`, message: `repeats the name of /artifacts/${first}` }] };
    seen.set(artifact.name, index);
  }
  return { ok: true, payload: value };
}
