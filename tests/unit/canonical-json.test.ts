import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, CanonicalJsonText, canonicalJson } from '../../shared/util/canonical-json.js';

function fromIeee754(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('canonicalJson (RFC 8785)', () => {
  it('serialises the RFC 8785 section 3.2.2 sample', () => {
    // The RFC's input, as parsed JSON: "\u000F" and "\u000a" are control characters, "\/" is "/".
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        '"literals":[null,true,false]}',
    ) as unknown;
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (RFC 8785 section 3.2.3 sample)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('orders a surrogate pair (U+1F600) before U+FB33, as UTF-16 does and code points would not', () => {
    expect(canonicalJson({ '\ufb33': 1, '\u{1f600}': 2 })).toBe('{"\u{1f600}":2,"\ufb33":1}');
  });

  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('serialises the IEEE 754 value %s as %s (RFC 8785 appendix B)', (hex, expected) => {
    expect(canonicalJson(fromIeee754(hex))).toBe(expected);
  });

  it('writes nested objects and arrays without whitespace, sorting keys at every level', () => {
    const input = { b: [3, { z: true, a: null }], a: { d: 'x', c: [] }, '': {} };
    expect(canonicalJson(input)).toBe('{"":{},"a":{"c":[],"d":"x"},"b":[3,{"a":null,"z":true}]}');
  });

  it('is independent of key insertion order', () => {
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
  });

  it('escapes control characters in lowercase hex and keeps other characters as they are', () => {
    expect(canonicalJson('\u0000\u001f\b\t\n\f\r"\\/\u007f\u2028é')).toBe('"\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\/\u007f\u2028é"');
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.b = 1;
    bare.a = 2;
    expect(canonicalJson(bare)).toBe('{"a":2,"b":1}');
  });

  it.each([
    ['NaN', { a: [1, Number.NaN] }, '$["a"][1]', /non-finite number NaN/],
    ['Infinity', Number.POSITIVE_INFINITY, '$', /non-finite number Infinity/],
    ['-Infinity', [Number.NEGATIVE_INFINITY], '$[0]', /non-finite number -Infinity/],
    ['undefined', { a: undefined }, '$["a"]', /undefined is not a JSON value/],
    ['a sparse array hole', [1, , 3], '$[1]', /undefined is not a JSON value/], // eslint-disable-line no-sparse-arrays
    ['a function', { f: () => 1 }, '$["f"]', /function is not a JSON value/],
    ['a symbol', [Symbol('s')], '$[0]', /symbol is not a JSON value/],
    ['a BigInt', { n: 10n }, '$["n"]', /BigInt/],
    ['a Date', { at: new Date(0) }, '$["at"]', /Date is not a plain JSON object/],
    ['a Map', new Map(), '$', /Map is not a plain JSON object/],
    ['a lone surrogate in a value', { s: 'a\ud800' }, '$["s"]', /lone UTF-16 surrogate/],
    ['a lone surrogate in a key', { ['\udc00']: 1 }, '$["\\udc00"]', /lone UTF-16 surrogate/],
  ])('rejects %s with the path of the offending value', (_name, input, path, message) => {
    let error: unknown;
    try {
      canonicalJson(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CanonicalJsonError);
    expect((error as CanonicalJsonError).path).toBe(path);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects a circular structure instead of overflowing the stack', () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = { back: loop };
    expect(() => canonicalJson(loop)).toThrow(/circular reference at \$\["self"\]\["back"\]/);
  });

  it('accepts the same object twice when it is not its own ancestor', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });

  it('places text that is canonical already as it is: the same bytes as serialising the value in place', () => {
    const input = { z: [1, 'é', { b: null, a: true }], a: -0 };
    const inline = canonicalJson({ tenant: 't', input, n: 1 });
    expect(canonicalJson({ tenant: 't', input: new CanonicalJsonText(canonicalJson(input)), n: 1 })).toBe(inline);
    expect(canonicalJson([new CanonicalJsonText(canonicalJson(input))])).toBe(`[${canonicalJson(input)}]`);
  });

  it('names the path of an error deep inside arrays and objects, and serialises again after it', () => {
    const bad = { a: [{ b: 1 }, { c: [0, { d: Number.NaN }] }] };
    expect(() => canonicalJson(bad)).toThrow(/non-finite number NaN at \$\["a"\]\[1\]\["c"\]\[1\]\["d"\]/);
    expect(canonicalJson({ a: [{ b: 1 }] })).toBe('{"a":[{"b":1}]}');
  });
});
