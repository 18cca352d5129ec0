/** Who is calling: established by a verified token, read by every later pipeline step. */
export interface Principal {
  readonly tenantId: string;
  readonly subject: string;
  readonly scopes: ReadonlySet<string>;
  /** The token's `jti`, when it has one. */
  readonly tokenId?: string;
}

/** Tenant ids end up in cache keys, log fields and SQL parameters: keep them to a safe alphabet. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
