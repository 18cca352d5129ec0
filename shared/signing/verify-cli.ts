import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isManifestRejected, ManifestRejectedError } from './errors.js';
import { parseTrustedKeys } from './trusted-keys.js';
import { verifyManifest } from './verify.js';

export const VERIFY_USAGE = 'usage: npm run manifest:verify -- FILE --keys FILE_OR_URL [--channel CHANNEL] [--last-version N | --state FILE]';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  now?: () => Date;
}

/** The last version a client accepted, per channel: `{ "channels": { "stable": 41 } }`. */
interface ClientState {
  channels: Record<string, number>;
}

class UsageError extends Error {}

/**
 * `npm run manifest:verify`: checks a signed manifest as a desktop client does (signature by a trusted,
 * enabled key; expiry; version above the last accepted). With --state it also records the accepted version,
 * as a client would. Exit codes: 0 accepted, 1 rejected (stable reason code), 2 usage or I/O error.
 */
export async function runManifestVerify(argv: string[], io: CliIo): Promise<number> {
  try {
    const opts = parseOptions(argv);
    const doc = parseManifestFile(await readFile(opts.file, 'utf8').catch((err: Error) => failIo(`cannot read ${opts.file}: ${err.message}`)));
    const keys = parseTrustedKeys(await readKeys(opts.keys));
    const state = opts.state ? await readState(opts.state) : undefined;
    const claimedChannel = (doc as { payload?: { channel?: unknown } } | null)?.payload?.channel;
    const lastAcceptedVersion = opts.lastVersion ?? (state && typeof claimedChannel === 'string' ? state.channels[claimedChannel] : undefined);
    const verified = verifyManifest(doc, { keys, lastAcceptedVersion, channel: opts.channel, now: io.now?.() });
    const { payload } = verified;
    if (opts.state && state) {
      state.channels[payload.channel] = payload.version;
      await writeState(opts.state, state);
    }
    io.stdout(`${JSON.stringify({ ok: true, channel: payload.channel, version: payload.version, keyid: verified.keyid, expires_at: payload.expires_at, artifacts: payload.artifacts.length })}\n`);
    return 0;
  } catch (err) {
    if (isManifestRejected(err)) {
      io.stdout(`${JSON.stringify({ ok: false, code: err.code, reason: err.message })}\n`);
      io.stderr(`manifest rejected: ${err.code}: ${err.message}\n`);
      return 1;
    }
    const usage = err instanceof UsageError ? `\n${VERIFY_USAGE}` : '';
    io.stderr(`manifest:verify: ${(err as Error).message}${usage}\n`);
    return 2;
  }
}

function parseOptions(argv: string[]): { file: string; keys: string; channel?: string; lastVersion?: number; state?: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { keys: { type: 'string' }, channel: { type: 'string' }, 'last-version': { type: 'string' }, state: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('give exactly one manifest FILE');
  if (!values.keys) throw new UsageError('--keys is required');
  if (values['last-version'] !== undefined && values.state !== undefined) throw new UsageError('give --last-version or --state, not both');
  const lastRaw = values['last-version'];
  if (lastRaw !== undefined && !/^\d{1,15}$/.test(lastRaw)) throw new UsageError('--last-version must be a non-negative integer');
  return { file: positionals[0] as string, keys: values.keys, channel: values.channel, lastVersion: lastRaw === undefined ? undefined : Number(lastRaw), state: values.state };
}

async function readKeys(source: string): Promise<string> {
  if (!/^https?:\/\//.test(source)) return readFile(source, 'utf8').catch((err: Error) => failIo(`cannot read ${source}: ${err.message}`));
  const res = await fetch(source, { signal: AbortSignal.timeout(10_000) }).catch((err: Error) => failIo(`cannot fetch ${source}: ${err.message}`));
  if (!res.ok) failIo(`fetching ${source} answered ${res.status}`);
  return res.text();
}

async function readState(file: string): Promise<ClientState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { channels: {} };
    return failIo(`cannot read ${file}: ${(err as Error).message}`);
  }
  const state = JSON.parse(text) as ClientState;
  const valid = typeof state?.channels === 'object' && state.channels !== null && Object.values(state.channels).every((v) => Number.isSafeInteger(v));
  if (!valid) failIo(`${file} is not a client state { "channels": { "<channel>": <version> } }`);
  return state;
}

async function writeState(file: string, state: ClientState): Promise<void> {
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temp, file);
}

function parseManifestFile(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ManifestRejectedError('envelope_malformed', 'the manifest file is not JSON');
  }
}

function failIo(message: string): never {
  throw new Error(message);
}
