import type { Server } from 'node:http';
import type { Logger } from '../telemetry/index.js';

export interface ShutdownStep {
  name: string;
  /** Gets the milliseconds left before the grace deadline. */
  run(remainingMs: number): Promise<void>;
}

/**
 * On SIGTERM (Cloud Run gives 10 s before SIGKILL) or SIGINT: report not-ready, stop accepting, let
 * in-flight requests finish, then run the steps in order (flush the relay, close pools), all within graceMs.
 */
export function installGracefulShutdown(opts: {
  server: Server;
  logger: Logger;
  graceMs: number;
  onDrain: () => void;
  steps: ShutdownStep[];
  exit?: (code: number) => void;
}): (signal: string) => Promise<void> {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    const deadline = Date.now() + opts.graceMs;
    const remaining = () => Math.max(0, deadline - Date.now());
    opts.logger.info({ signal, grace_ms: opts.graceMs }, 'shutting down: finishing in-flight requests');
    opts.onDrain();
    let clean = true;
    const closed = new Promise<void>((resolve) => opts.server.close(() => resolve()));
    opts.server.closeIdleConnections();
    // Keep-alive connections that become idle after their last response are closed as they go idle.
    const idleSweep = setInterval(() => opts.server.closeIdleConnections(), 100);
    const finished = await raceDeadline(closed, remaining());
    clearInterval(idleSweep);
    if (!finished) {
      clean = false;
      opts.logger.warn('in-flight requests did not finish in time; closing their connections');
      opts.server.closeAllConnections();
    }
    for (const step of opts.steps) {
      try {
        const done = await raceDeadline(step.run(remaining()), remaining());
        if (!done) {
          clean = false;
          opts.logger.warn({ step: step.name }, 'shutdown step ran out of time');
        }
      } catch (err) {
        clean = false;
        opts.logger.error({ err, step: step.name }, 'shutdown step failed');
      }
    }
    opts.logger.info({ clean }, 'shutdown complete');
    exit(clean ? 0 : 1);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return shutdown;
}

/** true when the promise settled before ms elapsed. */
async function raceDeadline(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
