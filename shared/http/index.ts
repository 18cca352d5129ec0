export { problemBody, sendProblem, errorHandler, notFoundError, payloadTooLarge, pathOf, unsupportedMediaType, PROBLEM_TYPE_BASE, type ProblemBody } from './problem.js';
export { createHttpApp, type HttpApp } from './app.js';
export { registerJsonBody } from './json-body.js';
export { registerRequestLog, requestLogOf } from './request-log.js';
export { bodyValidator, invalidInput } from './validate.js';
export { installGracefulShutdown, type ShutdownStep } from './shutdown.js';
export { listenHttp } from './listen.js';
