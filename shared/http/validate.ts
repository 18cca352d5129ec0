import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { AppError } from '../errors/app-error.js';

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats.default(ajv);

/** Compiles a JSON Schema once; the returned function returns the typed value or throws 400 `invalid_input`. */
export function bodyValidator<T>(schema: object): (body: unknown) => T {
  const validate: ValidateFunction<T> = ajv.compile<T>(schema);
  return (body) => {
    if (validate(body)) return body;
    throw invalidInput(validate.errors ?? []);
  };
}

export function invalidInput(errors: ErrorObject[] | Array<{ path: string; message: string }>): AppError {
  const list = errors.map((e) =>
    'instancePath' in e ? { path: e.instancePath || '/', message: describe(e) } : e,
  );
  return new AppError({
    code: 'invalid_input',
    status: 400,
    title: 'Invalid input',
    detail: list.map((e) => `${e.path} ${e.message}`).join('; ') || 'The request body is invalid.',
    extra: { errors: list },
  });
}

function describe(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `has unknown property "${String(e.params.additionalProperty)}"`;
  if (e.keyword === 'required') return `is missing required property "${String(e.params.missingProperty)}"`;
  if (e.keyword === 'enum') return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return e.message ?? 'is invalid';
}
