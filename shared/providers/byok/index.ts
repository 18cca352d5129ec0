export { createByokKeyResolver, type ByokKeyResolver, type ByokKeyResolverOptions, type SecretAccessClient } from './resolver.js';
export { byokSecretName, secretIdPart, type ByokProvider } from './secret-name.js';
