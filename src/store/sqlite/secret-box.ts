import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';

/**
 * Secrets at rest (registry passwords, webhook secrets, trigger tokens' hashes are not secrets): AES-256-GCM with a
 * random 96-bit nonce per value, stored as `enc:v1:<nonce>.<tag>.<ciphertext>` (base64url). Without a key values are
 * stored as given; a stored plain value is still read after a key is configured, and rewritten encrypted on its next
 * write. An encrypted value with no key, or with the wrong key, fails loudly rather than answering garbage.
 */
export class SecretBox {
  constructor(private readonly key: Buffer | undefined) {
    if (key && key.length !== 32) throw new TypeError('SecretBox: the key must be 32 bytes');
  }

  get encrypting(): boolean {
    return this.key !== undefined;
  }

  seal(plain: string): string {
    if (!this.key) return plain;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${PREFIX}${nonce.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${body.toString('base64url')}`;
  }

  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    if (!this.key) throw new Error('an encrypted secret is stored but DATA_KEY is not set');
    const [nonce, tag, body] = stored.slice(PREFIX.length).split('.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
