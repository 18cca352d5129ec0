export { createCapabilityRegistry, type Capability, type CapabilityRegistry } from './registry.js';
export { renderPrompt } from './prompt.js';
export type { CapabilityDefinition, ChainLink } from './types.js';
