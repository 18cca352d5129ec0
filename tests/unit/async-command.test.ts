import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/index.js';
import { createCapabilityRegistry } from '../../shared/capabilities/index.js';
import { decodeCommand, isRetryable, parsePushEnvelope, type PushDelivery } from '../../shared/async-inference/index.js';
import { AppError, isAppError } from '../../shared/errors/app-error.js';

const capabilities = createCapabilityRegistry(loadConfig({ env: {} }).capabilities);
const command = { request_id: 'r-1', tenant_id: 'demo', capability: 'reservation.upsell_offer', input: { any: 'thing' }, reply_to: 'corr-1' };
const delivery = (data: string | undefined, attributes: Record<string, string> = {}): PushDelivery => ({ messageId: '1', data, attributes, subscription: 's', deliveryAttempt: 1, publishTime: undefined });
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

describe('async command decoding', () => {
  it('decodes a valid command; its reply_to (else the attribute) is the correlation id', () => {
    expect(decodeCommand(delivery(b64(command)), capabilities)).toEqual({ ok: true, command, correlationId: 'corr-1' });
    const { reply_to: _r, ...bare } = command;
    expect(decodeCommand(delivery(b64(bare), { reply_to: 'corr-attr' }), capabilities)).toMatchObject({ ok: true, correlationId: 'corr-attr' });
  });

  it.each([
    ['no data', undefined, 'malformed_json'],
    ['not base64', '***', 'invalid_base64'],
    ['not JSON', b64('{"a":'), 'malformed_json'],
    ['missing tenant', b64({ ...command, tenant_id: undefined }), 'invalid_command'],
    ['bad tenant id', b64({ ...command, tenant_id: 'a:b' }), 'invalid_command'],
    ['extra field', b64({ ...command, extra: 1 }), 'invalid_command'],
    ['bad idempotency key', b64({ ...command, idempotency_key: 'é' }), 'invalid_command'],
    ['unknown capability', b64({ ...command, capability: 'nope.nothing' }), 'unknown_capability'],
  ])('%s → poison %s', (_name, data, code) => {
    const decoded = decodeCommand(delivery(data), capabilities);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.poison.code).toBe(code);
      expect(decoded.poison.reason.length).toBeGreaterThan(0);
    }
  });

  it('a schema-invalid command still names the tenant and request it carries', () => {
    const decoded = decodeCommand(delivery(b64({ ...command, input: 'x' })), capabilities);
    expect(decoded).toMatchObject({ ok: false, poison: { code: 'invalid_command', tenantId: 'demo', requestId: 'r-1', correlationId: 'corr-1' } });
  });
});

describe('push envelope', () => {
  it('reads both spellings of the message id', () => {
    expect(parsePushEnvelope({ message: { message_id: '42', data: 'e30=' }, subscription: 's' })).toMatchObject({ messageId: '42', data: 'e30=', attributes: {} });
    expect(parsePushEnvelope({ message: { messageId: '43' }, deliveryAttempt: 3 })).toMatchObject({ messageId: '43', data: undefined, deliveryAttempt: 3 });
  });

  it('a body without a message id is 400 invalid_input', () => {
    for (const body of [{}, { message: {} }, { message: { messageId: '' } }, 'text']) {
      try {
        parsePushEnvelope(body);
        expect.unreachable();
      } catch (err) {
        expect(isAppError(err) && err.code).toBe('invalid_input');
      }
    }
  });
});

describe('retryable failures', () => {
  const err = (status: number, code = 'x') => new AppError({ code, status, title: 't', detail: 'd' });
  it('5xx, 408, 429, a duplicate in progress and unexpected errors are retried; client errors are final', () => {
    expect([err(503), err(504), err(429), err(408), err(409, 'idempotency_in_progress'), new Error('boom')].map(isRetryable)).toEqual([true, true, true, true, true, true]);
    expect([err(400), err(402), err(403), err(404), err(409, 'idempotency_key_reused'), err(422)].map(isRetryable)).toEqual([false, false, false, false, false, false]);
  });
});
