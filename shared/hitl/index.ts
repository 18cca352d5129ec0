/** Human review: tasks for drafts of `hitl: true` capabilities, their decisions, audit and expiry. */
export { createReviewQueue, type ReviewQueue } from './open-review.js';
export { listTasks, getTask, type TaskPage } from './queries.js';
export { decideTask, type Decision, type DecideDeps } from './decide.js';
export { HitlExpirySweeper, expireOneDueTask, EXPIRY_ACTOR, type HitlExpirySweeperOptions } from './expiry.js';
export { encodeCursor, decodeCursor, type TaskCursor } from './cursor.js';
export { changedPaths } from './diff.js';
export { HITL_STATUSES, type HitlStatus, type HitlTaskView, type HitlEventSettings } from './types.js';
