import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { minimalValue } from '../../shared/providers/deterministic/index.js';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);

function expectValid(schema: Record<string, unknown>): unknown {
  const value = minimalValue(schema);
  expect(ajv.validate(schema, value), `${JSON.stringify(value)}: ${ajv.errorsText()}`).toBe(true);
  return value;
}

describe('minimalValue', () => {
  it('fills only required properties, with the smallest values the schema allows', () => {
    const value = expectValid({
      type: 'object',
      additionalProperties: false,
      required: ['name', 'code', 'count', 'ratio', 'flag', 'kind', 'list', 'nothing'],
      properties: {
        name: { type: 'string' },
        code: { type: 'string', minLength: 5, maxLength: 8 },
        count: { type: 'integer', minimum: 3, maximum: 9 },
        ratio: { type: 'number', exclusiveMinimum: 0, maximum: 0.5, multipleOf: 0.25 },
        flag: { type: 'boolean' },
        kind: { type: 'string', enum: ['first', 'second'] },
        list: { type: 'array', items: { type: 'string' } },
        nothing: { type: 'null' },
        optional: { type: 'string', minLength: 3 },
      },
    });
    expect(value).toEqual({ name: '', code: 'n/a..', count: 3, ratio: 0.25, flag: false, kind: 'first', list: [], nothing: null });
  });

  it('meets formats, patterns, minItems with unique items, and minProperties', () => {
    expectValid({
      type: 'object',
      required: ['day', 'at', 'mail', 'link', 'id', 'code', 'lang', 'tags', 'pair', 'bag'],
      properties: {
        day: { type: 'string', format: 'date' },
        at: { type: 'string', format: 'date-time' },
        mail: { type: 'string', format: 'email' },
        link: { type: 'string', format: 'uri' },
        id: { type: 'string', format: 'uuid' },
        code: { type: 'string', pattern: '^[A-Z0-9_]{2,32}$' },
        lang: { type: 'string', pattern: '^[a-z]{2}(-[A-Z]{2})?$' },
        tags: { type: 'array', minItems: 3, uniqueItems: true, items: { type: 'string', pattern: '^[a-z]+$' } },
        pair: { type: 'array', minItems: 2, uniqueItems: true, items: { type: 'integer', minimum: 10 } },
        bag: { type: 'object', minProperties: 2, additionalProperties: { type: ['string', 'number'] } },
      },
    });
  });

  it('follows $ref, allOf, anyOf and oneOf', () => {
    expectValid({
      $defs: { money: { type: 'object', required: ['amount', 'currency'], properties: { amount: { type: 'integer', minimum: 0 }, currency: { const: 'EUR' } } } },
      type: 'object',
      required: ['price', 'merged', 'either', 'one'],
      properties: {
        price: { $ref: '#/$defs/money' },
        merged: { allOf: [{ type: 'object', required: ['a'], properties: { a: { type: 'string', minLength: 1 } } }, { required: ['b'], properties: { b: { type: 'integer', exclusiveMinimum: 4 } } }] },
        either: { anyOf: [{ type: 'string', minLength: 2 }, { type: 'integer' }] },
        one: { oneOf: [{ type: 'boolean' }, { type: 'string' }] },
      },
    });
  });

  it('handles the shape of a nested output schema', () => {
    expectValid({
      type: 'object',
      required: ['items'],
      properties: {
        items: {
          type: 'array',
          minItems: 2,
          maxItems: 4,
          items: { type: 'object', required: ['label', 'score'], properties: { label: { type: 'string', minLength: 1, maxLength: 2 }, score: { type: 'number', maximum: -5 } } },
        },
      },
    });
  });
});
