import { randomBytes } from 'node:crypto';
import { SecretBox, SecretDecryptionError, parseMasterKeys } from './secret-box';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('SecretBox (AES-256-GCM)', () => {
  it('round-trips and never repeats a ciphertext', () => {
    const box = new SecretBox([key('k1')]);
    const a = box.encrypt('service-account-json');
    const b = box.encrypt('service-account-json');
    expect(a).not.toBe(b);
    expect(a).not.toContain('service-account-json');
    expect(a.startsWith('v1:k1:')).toBe(true);
    expect(box.decrypt(a)).toBe('service-account-json');
  });

  it('binds the ciphertext to its associated data (row owner)', () => {
    const box = new SecretBox([key('k1')]);
    const sealed = box.encrypt('token', 'tenant-a:whatsappToken');
    expect(box.decrypt(sealed, 'tenant-a:whatsappToken')).toBe('token');
    expect(() => box.decrypt(sealed, 'tenant-b:whatsappToken')).toThrow(SecretDecryptionError);
  });

  it('detects tampering', () => {
    const box = new SecretBox([key('k1')]);
    const parts = box.encrypt('hello').split(':');
    const ct = Buffer.from(parts[4]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    parts[4] = ct.toString('base64url');
    expect(() => box.decrypt(parts.join(':'))).toThrow(SecretDecryptionError);
  });

  it('rotates: old key decrypts, new key encrypts, reencrypt moves a secret to the new key', () => {
    const oldKey = key('old');
    const newKey = key('new');
    const sealedOld = new SecretBox([oldKey]).encrypt('s3cret');
    const rotated = new SecretBox([newKey, oldKey]);
    expect(rotated.decrypt(sealedOld)).toBe('s3cret');
    const resealed = rotated.reencrypt(sealedOld);
    expect(SecretBox.keyIdOf(resealed)).toBe('new');
    expect(() => new SecretBox([oldKey]).decrypt(resealed)).toThrow(/unknown master key id "new"/);
  });

  it('parses configured keys and refuses the dev key in production', () => {
    const b64 = randomBytes(32).toString('base64');
    expect(parseMasterKeys(`a:${b64},b:${b64}`).map((k) => k.id)).toEqual(['a', 'b']);
    expect(() => parseMasterKeys('a:c2hvcnQ=')).toThrow();
    expect(() => SecretBox.fromConfig({ NODE_ENV: 'production', SECRETS_MASTER_KEYS: undefined })).toThrow(/required in production/);
    expect(SecretBox.fromConfig({ NODE_ENV: 'development', SECRETS_MASTER_KEYS: undefined }).activeKeyId).toBe('dev');
    expect(SecretBox.fromConfig({ NODE_ENV: 'production', SECRETS_MASTER_KEYS: `prod:${b64}` }).activeKeyId).toBe('prod');
  });

  it('rejects garbage envelopes', () => {
    const box = new SecretBox([key('k1')]);
    expect(() => box.decrypt('plaintext')).toThrow(SecretDecryptionError);
    expect(() => box.decrypt('v2:k1:a:b:c')).toThrow(SecretDecryptionError);
  });
});
