import { describe, expect, it } from 'vitest';
import { seal, unseal } from '../src/core/sealed.ts';

describe('sealed backups (AES-256-GCM, scrypt key)', () => {
  const dump = Buffer.from('PGDMP\u0001 the whole database, with a secret row: card 4111-1111');

  it('round-trips, and two seals of the same bytes differ (fresh salt and IV)', () => {
    const a = seal(dump, 'backup-passphrase-0123456789');
    expect(unseal(a, 'backup-passphrase-0123456789', 'b')).toEqual(dump);
    expect(seal(dump, 'backup-passphrase-0123456789').equals(a)).toBe(false);
    expect(a.includes(Buffer.from('PGDMP'))).toBe(false);
    expect(a.includes(Buffer.from('4111'))).toBe(false);
  });

  it('refuses another key, a changed byte, and what is not a sealed backup, naming it', () => {
    const sealed = seal(dump, 'backup-passphrase-0123456789');
    expect(() => unseal(sealed, 'another-passphrase-000000000', 'the backup x')).toThrow(
      'the backup x could not be decrypted: the key is not the one it was encrypted with, or the object was changed since',
    );
    const changed = Buffer.from(sealed);
    changed[changed.length - 3]! ^= 1;
    expect(() => unseal(changed, 'backup-passphrase-0123456789', 'the backup x')).toThrow('could not be decrypted');
    expect(() => unseal(dump, 'backup-passphrase-0123456789', 'the backup x')).toThrow(
      'the backup x is not an encrypted backup written by nx-deploy',
    );
  });
});
