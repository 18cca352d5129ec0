// Prints a dev JWT signed with the embedded key pair: `npm run token -- --tenant T --scope "S1 S2"`.
// stdout carries the token and nothing else, so `TOKEN=$(npm run -s token -- …)` works.
import { parseArgs } from 'node:util';
import { mintDevToken } from '../shared/auth/index.js';
import { loadConfig } from '../shared/config/index.js';

const USAGE = 'usage: npm run token -- --tenant TENANT --scope "SCOPE1 SCOPE2" [--sub SUBJECT] [--ttl SECONDS]';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        tenant: { type: 'string' },
        scope: { type: 'string' },
        sub: { type: 'string' },
        ttl: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new Error((err as Error).message);
  }
  if (!values.tenant) throw new Error('--tenant is required');
  if (values.scope === undefined) throw new Error('--scope is required (space-separated; may be "")');
  if (values.ttl !== undefined && !/^[1-9]\d*$/.test(values.ttl)) throw new Error('--ttl must be a positive number of seconds');

  // Checked before loading config, whose own production checks would otherwise speak first.
  const appEnv = process.env.APP_ENV;
  if (appEnv === 'staging' || appEnv === 'prod') {
    throw new Error(`refusing to mint a dev token when APP_ENV=${appEnv}: real tokens come from the issuer`);
  }
  const config = loadConfig();
  const token = await mintDevToken({
    dataDir: config.dataDir,
    tenant: values.tenant,
    scope: values.scope,
    subject: values.sub,
    ttlSeconds: values.ttl === undefined ? undefined : Number(values.ttl),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exitCode = 2;
});
