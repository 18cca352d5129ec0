import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

// Cloud Logging reads `severity` and `message`; pino's numeric levels map onto its LogSeverity names.
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export function createLogger(opts: { level: string; name?: string; destination?: DestinationStream }): Logger {
  const options: LoggerOptions = {
    level: opts.level,
    messageKey: 'message',
    base: opts.name ? { service: opts.name } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT', level: label }),
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
