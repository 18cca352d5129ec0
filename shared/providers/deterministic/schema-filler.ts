/**
 * The smallest value a JSON Schema accepts, for capabilities without a composer: required properties
 * only, strings at their minimum length, first enum value, numbers at their minimum, arrays at minItems.
 * Covers the keywords capability schemas use; a string `pattern` is met by trying a few candidates.
 */
type Schema = Record<string, unknown>;

const MAX_DEPTH = 32;

const FORMAT_SAMPLES: Record<string, string> = {
  date: '1970-01-01',
  'date-time': '1970-01-01T00:00:00Z',
  time: '00:00:00Z',
  email: 'unknown@example.com',
  uri: 'https://example.com/',
  'uri-reference': '/',
  url: 'https://example.com/',
  hostname: 'example.com',
  ipv4: '0.0.0.0',
  ipv6: '::',
  uuid: '00000000-0000-0000-0000-000000000000',
  duration: 'P0D',
};

const PATTERN_CANDIDATES = ['n/a', 'NA', 'N_A', 'UNKNOWN', 'unknown', 'en', 'a', 'A', '0', 'x'];

const isSchema = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

export function minimalValue(schema: unknown, root: unknown = schema): unknown {
  return fill(schema, root, 0, 0);
}

function fill(raw: unknown, root: unknown, depth: number, variant: number): unknown {
  if (!isSchema(raw) || depth > MAX_DEPTH) return null;
  const schema = flatten(raw, root, depth);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[Math.min(variant, schema.enum.length - 1)];
  switch (typeOf(schema)) {
    case 'object':
      return fillObject(schema, root, depth);
    case 'array':
      return fillArray(schema, root, depth);
    case 'string':
      return fillString(schema, variant);
    case 'integer':
      return fillNumber(schema, true, variant);
    case 'number':
      return fillNumber(schema, false, variant);
    case 'boolean':
      return variant % 2 === 1;
    default:
      return null;
  }
}

/** Resolves a local `$ref` and folds `allOf` and the first `anyOf`/`oneOf` branch into one schema. */
function flatten(schema: Schema, root: unknown, depth: number): Schema {
  if (depth > MAX_DEPTH) return schema;
  let out: Schema = schema;
  if (typeof out.$ref === 'string') {
    const { $ref, ...rest } = out;
    const target = resolveRef($ref as string, root);
    out = Object.assign({}, isSchema(target) ? flatten(target, root, depth + 1) : {}, rest);
  }
  if (Array.isArray(out.allOf)) {
    const { allOf, ...rest } = out;
    out = (allOf as unknown[]).filter(isSchema).reduce<Schema>((acc, part) => merge(acc, flatten(part, root, depth + 1)), rest);
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = out[key];
    if (Array.isArray(branches) && isSchema(branches[0])) {
      const { [key]: _branches, ...rest } = out;
      out = merge(rest, flatten(branches[0], root, depth + 1));
    }
  }
  return out;
}

function merge(a: Schema, b: Schema): Schema {
  const merged: Schema = Object.assign({}, a, b);
  if (isSchema(a.properties) && isSchema(b.properties)) merged.properties = Object.assign({}, a.properties, b.properties);
  if (Array.isArray(a.required) && Array.isArray(b.required)) merged.required = [...new Set([...a.required, ...b.required])];
  return merged;
}

function resolveRef(ref: string, root: unknown): unknown {
  if (!ref.startsWith('#')) return {};
  const parts = ref.slice(1).split('/').filter(Boolean).map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = root;
  for (const part of parts) node = isSchema(node) ? node[part] : undefined;
  return node ?? {};
}

function typeOf(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t) => t !== 'null') ?? type[0];
  if ('properties' in schema || 'required' in schema || 'additionalProperties' in schema) return 'object';
  if ('items' in schema || 'prefixItems' in schema || 'minItems' in schema) return 'array';
  if ('minLength' in schema || 'maxLength' in schema || 'pattern' in schema || 'format' in schema) return 'string';
  if ('minimum' in schema || 'maximum' in schema || 'exclusiveMinimum' in schema || 'multipleOf' in schema) return 'number';
  return undefined;
}

function fillObject(schema: Schema, root: unknown, depth: number): Record<string, unknown> {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const extra = isSchema(schema.additionalProperties) ? schema.additionalProperties : {};
  const keys = new Set(Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === 'string') : []);
  const minProperties = typeof schema.minProperties === 'number' ? schema.minProperties : 0;
  for (const key of Object.keys(properties)) {
    if (keys.size >= minProperties) break;
    keys.add(key);
  }
  for (let i = 1; keys.size < minProperties; i++) keys.add(`field_${i}`);
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = fill(properties[key] ?? extra, root, depth + 1, 0);
  return out;
}

function fillArray(schema: Schema, root: unknown, depth: number): unknown[] {
  const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  const items = isSchema(schema.items) ? schema.items : Array.isArray(schema.items) ? undefined : {};
  const tuple = Array.isArray(schema.items) ? schema.items : prefix;
  const out: unknown[] = [];
  // `variant` keeps items distinct where uniqueItems asks for it.
  for (let i = 0; i < minItems; i++) out.push(fill(tuple[i] ?? items ?? {}, root, depth + 1, i));
  return out;
}

function fillString(schema: Schema, variant: number): string {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const format = typeof schema.format === 'string' ? FORMAT_SAMPLES[schema.format] : undefined;
  const plain = (min === 0 && variant === 0 ? '' : `n/a${variant > 0 ? variant : ''}`).padEnd(min, '.');
  const fits = (s: string) => s.length >= min && s.length <= max;
  if (typeof schema.pattern !== 'string') return format ?? plain.slice(0, Math.max(min, Math.min(max, plain.length)));
  const pattern = compilePattern(schema.pattern);
  // Items of one array differ by a suffix the pattern may accept: a digit, or a lower- or upper-case letter.
  const suffixes = variant > 0 ? [String(variant), letters(variant), letters(variant).toUpperCase()] : [''];
  const bases = [...PATTERN_CANDIDATES, ...PATTERN_CANDIDATES.map((c) => c.repeat(Math.max(1, min)))];
  const candidates = [...(format === undefined || variant > 0 ? [] : [format]), plain, ...bases.flatMap((b) => suffixes.map((x) => b + x))];
  return candidates.find((c) => fits(c) && (!pattern || pattern.test(c))) ?? plain;
}

/** 1 → `b`, 25 → `z`, 26 → `ba`: a variant spelled in letters. */
function letters(n: number): string {
  let out = '';
  do {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26);
  } while (n > 0);
  return out;
}

function compilePattern(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'u');
  } catch {
    return undefined;
  }
}

function fillNumber(schema: Schema, integer: boolean, variant: number): number {
  const num = (key: string) => (typeof schema[key] === 'number' ? (schema[key] as number) : undefined);
  const step = (num('multipleOf') ?? 0) > 0 ? (num('multipleOf') as number) : 1;
  const [min, exclusiveMin, max, exclusiveMax] = [num('minimum'), num('exclusiveMinimum'), num('maximum'), num('exclusiveMaximum')];
  let value: number;
  if (exclusiveMin !== undefined && (min === undefined || exclusiveMin >= min)) value = Math.floor(exclusiveMin / step) * step + step;
  else if (min !== undefined) value = Math.ceil(min / step) * step;
  else value = 0;
  value += variant * step;
  if (integer) value = Math.ceil(value);
  if (max !== undefined && value > max) value = Math.floor(max / step) * step;
  if (exclusiveMax !== undefined && value >= exclusiveMax) value = Math.ceil(exclusiveMax / step) * step - step;
  return value;
}
