import { randomUUID } from 'node:crypto';

/**
 * A CloudEvents 1.0 event as the service writes it. On Pub/Sub it travels in binary mode: the message
 * data is the JSON of `data`, the envelope fields are `ce-*` attributes (see toPubSubAttributes).
 */
export interface EventEnvelope<T = unknown> {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  time: string;
  subject?: string;
  tenant_id: string;
  datacontenttype: 'application/json';
  data: T;
}

export function createEvent<T>(opts: { type: string; tenantId: string; data: T; subject?: string; source: string; id?: string; time?: Date }): EventEnvelope<T> {
  const event: EventEnvelope<T> = {
    specversion: '1.0',
    id: opts.id ?? randomUUID(),
    type: opts.type,
    source: opts.source,
    time: (opts.time ?? new Date()).toISOString(),
    tenant_id: opts.tenantId,
    datacontenttype: 'application/json',
    data: opts.data,
  };
  if (opts.subject !== undefined) event.subject = opts.subject;
  return event;
}

/** CloudEvents Pub/Sub binding, binary content mode: every attribute except the data, as `ce-<name>`. */
export function toPubSubAttributes(event: EventEnvelope): Record<string, string> {
  const attributes: Record<string, string> = {
    'ce-id': event.id,
    'ce-type': event.type,
    'ce-source': event.source,
    'ce-time': event.time,
    'ce-specversion': event.specversion,
    // CloudEvents extension attribute names are lowercase alphanumerics only, hence `tenantid`.
    'ce-tenantid': event.tenant_id,
    'content-type': event.datacontenttype,
  };
  if (event.subject !== undefined) attributes['ce-subject'] = event.subject;
  return attributes;
}

/** The ordering key of an event on Pub/Sub: its tenant, so one tenant's events arrive in order. */
export const orderingKeyOf = (event: EventEnvelope): string => event.tenant_id;

/** Rebuilds the envelope from a binary-mode Pub/Sub message (a consumer's view); undefined if it is not one. */
export function fromPubSubMessage(message: { data: Buffer | Uint8Array; attributes: Record<string, string> }): EventEnvelope | undefined {
  const a = message.attributes;
  const id = a['ce-id'];
  const type = a['ce-type'];
  const source = a['ce-source'];
  const time = a['ce-time'];
  const tenantId = a['ce-tenantid'];
  if (a['ce-specversion'] !== '1.0' || !id || !type || !source || !time || !tenantId) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(message.data).toString('utf8'));
  } catch {
    return undefined;
  }
  const event: EventEnvelope = { specversion: '1.0', id, type, source, time, tenant_id: tenantId, datacontenttype: 'application/json', data };
  if (a['ce-subject'] !== undefined) event.subject = a['ce-subject'];
  return event;
}
