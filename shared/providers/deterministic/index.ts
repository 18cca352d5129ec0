export { createDeterministicProvider, type DeterministicProviderOptions } from './provider.js';
export { minimalValue } from './schema-filler.js';
export { COMPOSED_LANGUAGES, type ComposedLanguage } from './language.js';
