import { describe, expect, it } from 'vitest';
import { changedPaths, decodeCursor, encodeCursor } from '../../shared/hitl/index.js';
import { isAppError } from '../../shared/errors/app-error.js';

describe('hitl cursor', () => {
  it('round-trips and is opaque base64url', () => {
    const cursor = { createdAtMicros: '1764590000123456', taskId: '0b5e6f5c-9a8f-4c0e-9a57-1b2c3d4e5f60' };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([['not base64!'], [Buffer.from('123,not-a-uuid').toString('base64url')], [Buffer.from('x,0b5e6f5c-9a8f-4c0e-9a57-1b2c3d4e5f60').toString('base64url')], ['']])('refuses %j with 400 invalid_cursor', (text) => {
    try {
      decodeCursor(text);
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err) && [err.status, err.code]).toEqual([400, 'invalid_cursor']);
    }
  });
});

describe('hitl changedPaths (audit of a reviewer edit)', () => {
  it('names each changed leaf as a JSON Pointer', () => {
    expect(changedPaths({ subject: 'a', body: 'b', language: 'en' }, { subject: 'a', body: 'c', language: 'en' })).toEqual(['/body']);
    expect(changedPaths({ a: { b: [1, 2] } }, { a: { b: [1, 3, 4] } })).toEqual(['/a/b/1', '/a/b/2']);
    expect(changedPaths({ 'x/y': 1, keep: true }, { keep: true })).toEqual(['/x~1y']);
    expect(changedPaths({ same: [1, { two: 2 }] }, { same: [1, { two: 2 }] })).toEqual([]);
    expect(changedPaths('draft', { now: 'object' })).toEqual(['/']);
  });
});
