/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): one byte sequence per JSON value, so hashes and signatures
 * over it do not depend on key order, whitespace or number spelling.
 *
 * - object keys sorted by their UTF-16 code units (what `Array.prototype.sort` does by default);
 * - no whitespace;
 * - numbers as ECMAScript Number-to-String (`JSON.stringify` of a finite number; -0 becomes 0);
 * - strings escaped as `JSON.stringify` does.
 *
 * Only JSON data is accepted (RFC 8785 requires I-JSON): non-finite numbers, undefined, functions,
 * symbols, BigInt, lone surrogates, cycles and non-plain objects (Date, Map, class instances…) throw a
 * CanonicalJsonError naming the offending path, rather than being dropped or coerced silently.
 */
export class CanonicalJsonError extends TypeError {
  /** Where the offending value sits, e.g. `$.items[2].price`. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`canonical JSON: ${problem} at ${path}`);
    this.name = 'CanonicalJsonError';
    this.path = path;
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function canonicalJson(value: unknown): string {
  return serialize(value, [], new Set());
}

/**
 * Text that is canonical JSON already (what canonicalJson returned), to be placed in a larger value as it
 * is: a hash over a value that contains one piece already serialised for another hash (the inference cache
 * key contains the input, whose hash is also taken) need not serialise that piece twice.
 */
export class CanonicalJsonText {
  constructor(readonly text: string) {}
}

// Where the serialiser is, as keys and indexes: turned into a path (`$["items"][2]`) only for an error,
// so a value that serialises builds no path strings.
type PathStack = Array<string | number>;

const pathOf = (stack: PathStack): string => `$${stack.map((step) => (typeof step === 'number' ? `[${step}]` : `[${JSON.stringify(step)}]`)).join('')}`;

function serialize(value: unknown, path: PathStack, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value, path);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(pathOf(path), `non-finite number ${String(value)}`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (value instanceof CanonicalJsonText) return value.text;
      return serializeContainer(value, path, ancestors);
    case 'bigint':
      throw new CanonicalJsonError(pathOf(path), 'BigInt is not a JSON number (convert it to a string or a safe integer)');
    default:
      // undefined, function, symbol
      throw new CanonicalJsonError(pathOf(path), `${typeof value} is not a JSON value`);
  }
}

function serializeString(value: string, path: PathStack): string {
  if (LONE_SURROGATE.test(value)) throw new CanonicalJsonError(pathOf(path), 'string holds a lone UTF-16 surrogate');
  return JSON.stringify(value);
}

function serializeContainer(value: object, path: PathStack, ancestors: Set<object>): string {
  if (ancestors.has(value)) throw new CanonicalJsonError(pathOf(path), 'circular reference');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      let out = '[';
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        out += (i > 0 ? ',' : '') + serialize(value[i], path, ancestors);
        path.pop();
      }
      return `${out}]`;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new CanonicalJsonError(pathOf(path), `${kind} is not a plain JSON object`);
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    let out = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      path.push(key);
      out += `${i > 0 ? ',' : ''}${serializeString(key, path)}:${serialize(record[key], path, ancestors)}`;
      path.pop();
    }
    return `${out}}`;
  } finally {
    ancestors.delete(value);
  }
}
