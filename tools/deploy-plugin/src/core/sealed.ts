import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { UserError } from './errors.ts';

/**
 * AES-256-GCM with a key derived from a passphrase (scrypt, a fresh salt each time): what a backup
 * is before it leaves the machine. Layout: magic, salt (16), IV (12), tag (16), ciphertext. GCM's
 * tag makes a wrong key and a changed byte alike fail to open, never decrypt to garbage.
 */
const MAGIC = Buffer.from('NXDSEAL1');
const SALT = 16;
const IV = 12;
const TAG = 16;

const keyOf = (passphrase: string, salt: Buffer) => scryptSync(passphrase, salt, 32);

export function seal(plaintext: Buffer, passphrase: string): Buffer {
  const salt = randomBytes(SALT);
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', keyOf(passphrase, salt), iv);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, salt, iv, cipher.getAuthTag(), body]);
}

/** The plaintext, or a UserError saying `what` could not be opened (not sealed, another key, or changed since). */
export function unseal(sealed: Buffer, passphrase: string, what: string): Buffer {
  if (sealed.length < MAGIC.length + SALT + IV + TAG || !sealed.subarray(0, MAGIC.length).equals(MAGIC))
    throw new UserError(`${what} is not an encrypted backup written by nx-deploy`);
  let at = MAGIC.length;
  const salt = sealed.subarray(at, (at += SALT));
  const iv = sealed.subarray(at, (at += IV));
  const tag = sealed.subarray(at, (at += TAG));
  const decipher = createDecipheriv('aes-256-gcm', keyOf(passphrase, salt), iv);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(at)), decipher.final()]);
  } catch {
    throw new UserError(`${what} could not be decrypted: the key is not the one it was encrypted with, or the object was changed since`);
  }
}
