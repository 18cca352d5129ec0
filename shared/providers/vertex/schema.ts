/**
 * Gemini's `responseJsonSchema` accepts only part of JSON Schema (the list in @google/genai's
 * GenerationConfig.responseJsonSchema docs). Keywords outside it are dropped here rather than risk a 400 on
 * the whole request: the pipeline validates the output against the full schema with ajv anyway.
 */
const SUPPORTED = new Set([
  '$id',
  '$defs',
  '$ref',
  '$anchor',
  'type',
  'format',
  'title',
  'description',
  'enum',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'anyOf',
  'oneOf',
  'properties',
  'additionalProperties',
  'required',
  'propertyOrdering',
]);
/** Keywords whose value is a map of names to schemas, or a list of schemas. */
const SCHEMA_MAPS = new Set(['properties', '$defs']);
const SCHEMA_LISTS = new Set(['anyOf', 'oneOf', 'prefixItems']);

export function toGeminiJsonSchema(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!SUPPORTED.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, toGeminiJsonSchema(sub)]));
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      out[key] = value.map(toGeminiJsonSchema);
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = toGeminiJsonSchema(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}
