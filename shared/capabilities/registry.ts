import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Config } from '../config/index.js';
import { AppError } from '../errors/app-error.js';
import { invalidInput } from '../http/validate.js';
import type { CapabilityDefinition } from './types.js';

export interface Capability extends CapabilityDefinition {
  /** Throws 400 invalid_input naming each offending field. */
  parseInput(input: unknown): unknown;
  /** Parses and validates model text against the output schema. */
  checkOutput(text: string): { ok: true; value: unknown } | { ok: false; reason: string };
  /** Validates an already-parsed output (a reviewer's edit, a cached value). */
  outputErrors(value: unknown): string | undefined;
}

export interface CapabilityRegistry {
  get(key: string): Capability | undefined;
  /** Throws 404 unknown_capability. */
  require(key: string): Capability;
  list(): Capability[];
}

/**
 * Compiles every capability's schemas once at start-up; a schema that does not compile stops the process
 * with the capability named, rather than failing its first request.
 */
export function createCapabilityRegistry(capabilities: Config['capabilities']): CapabilityRegistry {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const byKey = new Map<string, Capability>();
  for (const [key, def] of Object.entries(capabilities)) {
    let validateInput: ValidateFunction;
    let validateOutput: ValidateFunction;
    try {
      validateInput = ajv.compile(def.inputSchema);
      validateOutput = ajv.compile(def.outputSchema);
    } catch (err) {
      throw new Error(`capability ${key}: invalid JSON Schema (${(err as Error).message})`);
    }
    const outputErrors = (value: unknown): string | undefined =>
      validateOutput(value) ? undefined : ajv.errorsText(validateOutput.errors, { dataVar: 'output' });
    const behaviour: Pick<Capability, 'key' | 'parseInput' | 'checkOutput' | 'outputErrors'> = {
      key,
      parseInput(input) {
        if (!validateInput(input)) throw invalidInput(validateInput.errors ?? []);
        return input;
      },
      checkOutput(text) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          return { ok: false, reason: 'output is not valid JSON' };
        }
        const errors = outputErrors(value);
        return errors ? { ok: false, reason: errors } : { ok: true, value };
      },
      outputErrors,
    };
    byKey.set(key, Object.assign({}, def, behaviour));
  }
  return {
    get: (key) => byKey.get(key),
    require(key) {
      const cap = byKey.get(key);
      if (!cap) throw new AppError({ code: 'unknown_capability', status: 404, title: 'Unknown capability', detail: `No capability named "${key}".` });
      return cap;
    },
    list: () => [...byKey.values()],
  };
}
