export { createLogger, type Logger } from './logger.js';
export { parseTraceHeaders, traceLogFields, type TraceContext } from './trace.js';
export { createMetrics, type Metrics } from './metrics.js';
