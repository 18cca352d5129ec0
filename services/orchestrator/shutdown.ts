// Moved to shared/http so the manifest signer shares it; kept here for the orchestrator's imports.
export { installGracefulShutdown, type ShutdownStep } from '../../shared/http/shutdown.js';
