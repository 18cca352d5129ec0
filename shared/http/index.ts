export { problemBody, sendProblem, errorHandler, notFound, unsupportedMediaType, PROBLEM_TYPE_BASE, type ProblemBody } from './problem.js';
export { jsonBody } from './json-body.js';
export { requestLog } from './request-log.js';
export { bodyValidator, invalidInput } from './validate.js';
export { installGracefulShutdown, type ShutdownStep } from './shutdown.js';
export { listenHttp } from './listen.js';
