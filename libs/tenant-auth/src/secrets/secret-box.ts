import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { CommonConfig } from '@chatbot/platform';

const VERSION = 'v1';
const IV_BYTES = 12;

export interface MasterKey {
  id: string;
  key: Buffer;
}

export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';
}

/** Development/test only: a fixed, public key so `npm start` works without setup. Refused in production. */
const DEV_MASTER_KEY: MasterKey = {
  id: 'dev',
  key: createHash('sha256').update('chatbot-platform insecure development master key').digest(),
};

export function parseMasterKeys(spec: string): MasterKey[] {
  return spec.split(',').map((part) => {
    const [id, b64] = part.split(':');
    const key = Buffer.from(b64 ?? '', 'base64');
    if (!id || key.length !== 32) throw new Error('each master key must be keyId:base64(32 bytes)');
    return { id, key };
  });
}

/**
 * AES-256-GCM envelope for secrets at rest: `v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts). The first master
 * key encrypts; any configured key decrypts, so keys can be rotated. Optional associated data (e.g. tenant id + field
 * name) binds a ciphertext to its row, so it cannot be copied to another tenant's row and still decrypt.
 */
export class SecretBox {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly MasterKey[]) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one master key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  static fromConfig(config: Pick<CommonConfig, 'SECRETS_MASTER_KEYS' | 'NODE_ENV'>): SecretBox {
    if (config.SECRETS_MASTER_KEYS) return new SecretBox(parseMasterKeys(config.SECRETS_MASTER_KEYS));
    if (config.NODE_ENV === 'production') throw new Error('SECRETS_MASTER_KEYS is required in production');
    return new SecretBox([DEV_MASTER_KEY]);
  }

  get activeKeyId(): string {
    return this.keys[0]!.id;
  }

  encrypt(plaintext: string, associatedData = ''): string {
    const active = this.keys[0]!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', active.key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, active.id, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join(':');
  }

  decrypt(envelope: string, associatedData = ''): string {
    const [version, keyId, iv, tag, ciphertext] = envelope.split(':');
    if (version !== VERSION || !keyId || !iv || !tag || ciphertext === undefined) {
      throw new SecretDecryptionError('not a secret envelope');
    }
    const key = this.byId.get(keyId);
    if (!key) throw new SecretDecryptionError(`unknown master key id "${keyId}"`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError('secret could not be decrypted (wrong key, data or associated data)');
    }
  }

  /** Key id an envelope was sealed with, to find secrets that still need re-encryption after a rotation. */
  static keyIdOf(envelope: string): string | undefined {
    return envelope.split(':')[1];
  }

  /** Re-seals with the active key (rotation). */
  reencrypt(envelope: string, associatedData = ''): string {
    return this.encrypt(this.decrypt(envelope, associatedData), associatedData);
  }
}
