import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { StackSettings } from '../settings.js';

/** Every 90 days a new primary version of the data key; older versions stay to decrypt what they wrote. */
export const CMEK_ROTATION_PERIOD = '7776000s';
/** RSA-PSS with SHA-256 (what shared/signing emits as RSASSA-PSS-SHA256), 3072-bit modulus, in an HSM. */
export const SIGNER_ALGORITHM = 'RSA_SIGN_PSS_3072_SHA256';

/**
 * Cloud KMS: the manifest-signing key and the customer-managed encryption keys (CMEK) for Cloud SQL and
 * Cloud Storage. CMEK keys must sit in the region of what they encrypt, hence one data key per region
 * (the failover region's encrypts the cross-region read replica).
 *
 * The signing key has no rotation period: KMS rotates only symmetric keys automatically. A new signing
 * version is added by hand (docs/runbooks/signing-key-rotation.md); the signer publishes every enabled
 * version's public key, so manifests signed by the previous version keep verifying.
 */
export class Keys extends pulumi.ComponentResource {
  readonly signerKey: gcp.kms.CryptoKey;
  readonly dataKey: gcp.kms.CryptoKey;
  readonly failoverDataKey: gcp.kms.CryptoKey;

  constructor(name: string, args: { settings: StackSettings }, opts?: pulumi.ComponentResourceOptions) {
    super('ai-orchestrator:infra:Keys', name, {}, opts);
    const s = args.settings;
    const ring = new gcp.kms.KeyRing('keyring', { project: s.project, name: 'ai-orchestrator', location: s.region }, { parent: this });
    const failoverRing = new gcp.kms.KeyRing('keyring-failover', { project: s.project, name: 'ai-orchestrator', location: s.failoverRegion }, { parent: this });
    // Keys cannot be deleted, only their versions destroyed: protect them from an accidental `pulumi destroy`.
    const keep = { parent: this, protect: s.environment === 'prod' };

    this.signerKey = new gcp.kms.CryptoKey('manifest-signer-key', {
      name: 'manifest-signer',
      keyRing: ring.id,
      purpose: 'ASYMMETRIC_SIGN',
      versionTemplate: { algorithm: SIGNER_ALGORITHM, protectionLevel: 'HSM' },
      destroyScheduledDuration: '2592000s',
    }, keep);
    const dataKey = (resourceName: string, keyRing: pulumi.Input<string>) =>
      new gcp.kms.CryptoKey(resourceName, {
        name: 'data',
        keyRing,
        purpose: 'ENCRYPT_DECRYPT',
        rotationPeriod: CMEK_ROTATION_PERIOD,
        versionTemplate: { algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION', protectionLevel: 'SOFTWARE' },
        destroyScheduledDuration: '2592000s',
      }, keep);
    this.dataKey = dataKey('cmek-data', ring.id);
    this.failoverDataKey = dataKey('cmek-data-failover', failoverRing.id);
    this.registerOutputs({});
  }

  /** Lets a Google service agent encrypt and decrypt with a data key (CMEK). */
  grantEncrypterDecrypter(resourceName: string, key: gcp.kms.CryptoKey, email: pulumi.Input<string>): gcp.kms.CryptoKeyIAMMember {
    return new gcp.kms.CryptoKeyIAMMember(resourceName, {
      cryptoKeyId: key.id,
      role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      member: pulumi.interpolate`serviceAccount:${email}`,
    }, { parent: this });
  }
}
