import { createRequire } from 'node:module';
import type { OAuth2Client as OAuth2ClientType } from 'google-auth-library';

// The google-auth-library copy @google/genai itself uses (a transitive dependency, not one of ours).
const requireFromGenai = createRequire(createRequire(import.meta.url).resolve('@google/genai'));
const { OAuth2Client } = requireFromGenai('google-auth-library') as { OAuth2Client: typeof OAuth2ClientType };

/**
 * An auth client holding a fixed, unexpired access token: the SDK sends `Authorization: Bearer <token>`
 * without looking for Application Default Credentials or the metadata server.
 */
export function fixedTokenAuthClient(token = 'test-access-token'): OAuth2ClientType {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return client;
}
