import { AppError, isAppError } from '../errors/app-error.js';
import { isProviderError } from '../providers/errors.js';
import { AllProvidersFailedError } from '../routing/index.js';

/** Maps what the model chain threw to the error the caller sees (and the code recorded with the call). */
export function chainFailure(err: unknown): AppError {
  if (err instanceof AllProvidersFailedError) {
    // The attempts (provider, model, outcome, ms; no content) tell the caller why; 503s are worth a retry.
    return new AppError({
      code: err.code,
      status: err.status,
      title: err.title,
      detail: err.detail,
      extra: { attempts: err.attempts },
      headers: err.status === 503 ? { 'Retry-After': '5' } : {},
      cause: err,
    });
  }
  if (isAppError(err)) return err;
  if (isProviderError(err)) {
    if (err.kind === 'refused') {
      return new AppError({
        code: 'content_refused',
        status: 422,
        title: 'Refused by the provider',
        detail: `${err.provider} refused to answer on safety or content-policy grounds; the request is not routed to another provider.`,
        extra: { provider: err.provider },
        cause: err,
      });
    }
    if (err.kind === 'bad_request') {
      return new AppError({
        code: 'provider_rejected_request',
        status: 422,
        title: 'The provider rejected the request',
        detail: `${err.provider} rejected the request as invalid (${err.message}).`,
        extra: { provider: err.provider },
        cause: err,
      });
    }
    if (err.kind === 'timeout') {
      return new AppError({ code: 'deadline_exceeded', status: 504, title: 'Deadline exceeded', detail: 'No provider answered within the request deadline.', cause: err });
    }
  }
  return new AppError({ code: 'providers_unavailable', status: 503, title: 'No provider could answer', detail: 'The model chain failed unexpectedly.', cause: err });
}

export function recordingFailed(err: unknown): AppError {
  return new AppError({
    code: 'recording_failed',
    status: 503,
    title: 'The call could not be recorded',
    detail: 'The answer was not released because it could not be recorded; retry (with the same Idempotency-Key).',
    headers: { 'Retry-After': '1' },
    cause: err,
  });
}

export function capabilityDisabled(key: string): AppError {
  return new AppError({ code: 'capability_disabled', status: 403, title: 'Capability disabled', detail: `The capability "${key}" is turned off for your tenant.` });
}
