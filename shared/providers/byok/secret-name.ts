export type ByokProvider = 'anthropic' | 'openai';

/**
 * A tenant id as it appears in a secret id. Secret ids allow only `A-Z a-z 0-9 _ -`; tenant ids may also
 * hold `.`. Letters, digits and `-` are kept, every other byte becomes `_` plus two hex digits (`.` →
 * `_2e`, `_` → `_5f`), so two tenants can never map to one secret: `acme.eu` → `acme_2eeu`.
 */
export function secretIdPart(tenantId: string): string {
  let out = '';
  for (const byte of Buffer.from(tenantId, 'utf8')) {
    const isKept = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d;
    out += isKept ? String.fromCharCode(byte) : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Fills `{project}`, `{tenant}` and `{provider}` in the configured pattern (config `providers.byok.secretNamePattern`). */
export function byokSecretName(pattern: string, values: { project: string; tenantId: string; provider: ByokProvider }): string {
  return pattern
    .replaceAll('{project}', values.project)
    .replaceAll('{tenant}', secretIdPart(values.tenantId))
    .replaceAll('{provider}', values.provider);
}
