import type { ProviderName } from '../providers/port.js';

export interface ChainLink {
  provider: ProviderName;
  model: string;
  /** Per-attempt timeout of this link. */
  timeoutMs: number;
}

/** A capability as declared in config/<env>.json under `capabilities.<key>`. */
export interface CapabilityDefinition {
  key: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  prompt: {
    /** Bumped whenever system or template changes: part of the cache key. */
    version: string;
    system: string;
    /** Mustache-style `{{input.path}}` placeholders and `{{input_json}}` (the whole input as JSON). */
    template: string;
  };
  chain: ChainLink[];
  maxOutputTokens: number;
  temperature: number;
  cacheTtlSeconds: number;
  hitl: boolean;
  rag: boolean;
}
