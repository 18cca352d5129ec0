import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import type { CapabilityRegistry } from '../capabilities/index.js';
import { isAppError } from '../errors/app-error.js';

/** One expectation about a field of the output, addressed by a dot path (`offers.0.code`). */
export interface Expectation {
  path: string;
  equals?: unknown;
  /** The field is a string containing this text (case-insensitive). */
  contains?: string;
  /** The field is a string matching this regular expression. */
  matches?: string;
  /** The field is an array with at least this many items. */
  minItems?: number;
  oneOf?: unknown[];
}

export interface EvalCase {
  id: string;
  capability: string;
  input: unknown;
  expect: Expectation[];
}

export interface Dataset {
  uri: string;
  /** sha256 of the bytes, so runs over the same cases can be compared. */
  hash: string;
  cases: EvalCase[];
}

/** A dataset that cannot be run as written: the job stops before any provider is called. */
export class DatasetError extends Error {
  constructor(readonly problems: string[]) {
    super(`dataset is invalid: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; … ${problems.length - 5} more` : ''}`);
    this.name = 'DatasetError';
  }
}

const expectationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  minProperties: 2,
  properties: {
    path: { type: 'string', minLength: 1 },
    equals: {},
    contains: { type: 'string', minLength: 1 },
    matches: { type: 'string', minLength: 1 },
    minItems: { type: 'integer', minimum: 0 },
    oneOf: { type: 'array', minItems: 1 },
  },
};
const caseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'capability', 'input'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 200 },
    capability: { type: 'string', minLength: 1 },
    input: { type: 'object' },
    expect: { type: 'array', items: expectationSchema },
  },
};
const ajv = new Ajv({ allErrors: true, strict: true });
const validateCase = ajv.compile<EvalCase>(caseSchema);

/**
 * Parses a JSON Lines dataset (one case per line; blank lines and lines starting with `//` are ignored)
 * and checks every case before anything runs: shape, unique ids, a known capability, an input its schema
 * accepts, regular expressions that compile. All problems are reported at once, with line numbers.
 */
export function parseDataset(text: string, uri: string, capabilities: CapabilityRegistry): Dataset {
  const problems: string[] = [];
  const cases: EvalCase[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    const where = `line ${index + 1}`;
    if (!line || line.startsWith('//')) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      problems.push(`${where}: not JSON (${(err as Error).message})`);
      return;
    }
    if (!validateCase(value)) {
      problems.push(`${where}: ${ajv.errorsText(validateCase.errors, { dataVar: 'case' })}`);
      return;
    }
    const c = value;
    if (seen.has(c.id)) problems.push(`${where}: duplicate case id "${c.id}"`);
    seen.add(c.id);
    const cap = capabilities.get(c.capability);
    if (!cap) {
      problems.push(`${where}: unknown capability "${c.capability}"`);
      return;
    }
    try {
      cap.parseInput(c.input);
    } catch (err) {
      problems.push(`${where}: input rejected by ${c.capability}: ${isAppError(err) ? err.detail : (err as Error).message}`);
    }
    for (const e of c.expect ?? []) {
      if (e.matches === undefined) continue;
      try {
        new RegExp(e.matches, 'u');
      } catch {
        problems.push(`${where}: expectation on ${e.path}: "${e.matches}" is not a valid regular expression`);
      }
    }
    cases.push(Object.assign({}, c, { expect: c.expect ?? [] }));
  });
  if (problems.length === 0 && cases.length === 0) problems.push('no cases');
  if (problems.length > 0) throw new DatasetError(problems);
  return { uri, hash: createHash('sha256').update(text).digest('hex'), cases };
}

/**
 * Reads a dataset from a local path or a `gs://bucket/object` URI through @google-cloud/storage (ADC
 * credentials; the SDK honours STORAGE_EMULATOR_HOST, as the tests' wire fake uses).
 */
export async function readDatasetText(uri: string): Promise<string> {
  const gs = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!gs) return readFile(uri, 'utf8');
  const { Storage } = await import('@google-cloud/storage');
  const [bytes] = await new Storage().bucket(gs[1]!).file(gs[2]!).download();
  return bytes.toString('utf8');
}
