/**
 * The vault: AES-256-GCM for everything paytone must keep but must never hold in plain text on disk
 * (cardholder data of live sessions, account auth tokens).
 *
 * A sealed value is base64url( version byte | 12-byte random IV | ciphertext | 16-byte tag ). The caller's
 * `context` (the row's sid) is bound as additional authenticated data, so a sealed value copied into another
 * row does not unseal there. Errors never carry the plaintext.
 *
 * @example
 *   const vault = await Vault.open({ dataDir: './data', keyHex: process.env.PAYTONE_VAULT_KEY });
 *   const sealed = vault.seal(cardNumber, 'PK0123...');
 *   vault.unseal(sealed, 'PK0123...'); // cardNumber again
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { pooledRandomBytes } from '../domain/randomPool.js';
import { loadVaultKey, type VaultKeyOptions } from './keyFile.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class Vault {
  readonly #key: KeyObject;

  private constructor(key: Buffer) {
    this.#key = createSecretKey(key);
  }

  /**
   * Opens the vault with `keyHex` (PAYTONE_VAULT_KEY) or the key file in `dataDir`, creating it on first start.
   *
   * @example
   *   const vault = await Vault.open({ dataDir: './data' });
   */
  static async open(options: VaultKeyOptions): Promise<Vault> {
    return new Vault(loadVaultKey(options));
  }

  /**
   * Encrypts `plaintext` for the row named by `context`.
   *
   * @example
   *   const sealedToken = vault.seal(authToken, accountSid);
   */
  seal(plaintext: string, context: string): string {
    const iv = pooledRandomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
  }

  /**
   * A 256-bit key for another job (signing event tokens, say), derived from the vault key with HKDF-SHA256:
   * one secret to keep, and a derived key reveals nothing about the vault key or the other derived keys.
   *
   * @example
   *   const signingKey = vault.deriveKey('event-tokens');
   */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), `paytone ${purpose}`, 32));
  }

  /**
   * Decrypts a value sealed for the same `context`; throws if it was altered, sealed for another context or
   * under another key.
   *
   * @example
   *   const authToken = vault.unseal(row.auth_token_sealed, row.sid);
   */
  unseal(sealed: string, context: string): string {
    const bytes = Buffer.from(sealed, 'base64url');
    if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== VERSION) {
      throw new Error(`vault: the value sealed for ${context} is not a version ${VERSION} sealed value`);
    }
    const iv = bytes.subarray(1, 1 + IV_BYTES);
    const ciphertext = bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(context));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(`vault: cannot unseal the value sealed for ${context}: it was altered, belongs to another row, or was sealed under another key`);
    }
  }
}

/** The version byte is authenticated too, so a future format cannot be confused with this one. */
function associatedData(context: string): Buffer {
  return Buffer.concat([Buffer.of(VERSION), Buffer.from(context, 'utf8')]);
}
