export { SCOPES, ALL_SCOPES, type Scope } from './scopes.js';
export { TENANT_ID_PATTERN, type Principal } from './principal.js';
export { tokenError, insufficientScopeError, type TokenErrorCode } from './errors.js';
export { loadJwksSource, JwksLoadError, type JwksSource, type JwksSourceOptions, type JwksOrigin } from './jwks.js';
export { ensureDevKeys, mintDevToken, type DevKeys, type MintDevTokenOptions } from './dev-keys.js';
export { createJwtVerifier, type JwtVerifier, type JwtVerifierOptions } from './verifier.js';
export { authenticate, requireScope, principalOf } from './middleware.js';
