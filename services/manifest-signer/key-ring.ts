import { ConfigError, type Config } from '../../shared/config/index.js';
import { openKmsKeyRing, openLocalKeyRing, type ManifestKeyRing } from '../../shared/signing/index.js';

/** Checks the signer's settings; a ConfigError's message is the one line the process prints. */
export function checkSignerConfig(config: Config): void {
  const { kmsKeyName, kmsPrimaryVersion } = config.signer;
  if (kmsKeyName && kmsPrimaryVersion === undefined) {
    throw new ConfigError('config: SIGNER_KMS_PRIMARY_VERSION is required with SIGNER_KMS_KEY (the key version that signs)');
  }
  if (!kmsKeyName && (config.appEnv === 'staging' || config.appEnv === 'prod')) {
    throw new ConfigError(`config: SIGNER_KMS_KEY is required when APP_ENV=${config.appEnv}; the local key ring is for dev and test only`);
  }
}

/** Cloud KMS when SIGNER_KMS_KEY is set, else the local key ring in DATA_DIR/signing. */
export async function openKeyRing(config: Config): Promise<ManifestKeyRing> {
  const { kmsKeyName, kmsPrimaryVersion } = config.signer;
  if (kmsKeyName && kmsPrimaryVersion !== undefined) {
    return openKmsKeyRing({
      keyName: kmsKeyName,
      primaryVersion: kmsPrimaryVersion,
      timeoutMs: config.signer.kmsTimeoutMs,
      publicKeysCacheMs: config.signer.publicKeysCacheSeconds * 1000,
    });
  }
  return openLocalKeyRing({ dataDir: config.dataDir });
}
