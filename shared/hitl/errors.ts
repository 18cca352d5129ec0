import { AppError } from '../errors/app-error.js';

export function taskNotFound(taskId: string): AppError {
  return new AppError({ code: 'hitl_task_not_found', status: 404, title: 'Review task not found', detail: `No review task ${taskId} for your tenant.` });
}

export function taskAlreadyDecided(status: string): AppError {
  return new AppError({
    code: 'hitl_task_already_decided',
    status: 409,
    title: 'Review task already decided',
    detail: `The task is ${status}; a decided task cannot be decided again.`,
    extra: { task_status: status },
  });
}

export function taskExpired(): AppError {
  return new AppError({ code: 'hitl_task_expired', status: 409, title: 'Review task expired', detail: 'The task expired before it was decided; its draft was not released.' });
}

export function invalidCursor(): AppError {
  return new AppError({ code: 'invalid_cursor', status: 400, title: 'Invalid cursor', detail: 'The cursor is not one this API returned; start again without it.' });
}
