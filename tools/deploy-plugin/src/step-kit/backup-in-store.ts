import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { fileSafeName } from '../core/names.ts';
import { seal, unseal } from '../core/sealed.ts';
import type { StepContext } from './step.ts';

/** A backup kept in the state store rather than on the machine that took it. */
export const STORE_REF = 'store:';

/** A backup as the migrate step took it: the dump (or SQLite copy) and what existed before migrating. */
export interface LocalBackup {
  ref: string;
  relations?: string[];
}

/** The passphrase that encrypts backups (database.backupKeyVariable), or undefined when none is named. */
export function backupKey(ctx: StepContext): string | undefined {
  const variable = ctx.env.database?.backupKeyVariable;
  if (!variable) return undefined;
  const key = ctx.environ[variable];
  if (!key)
    throw new UserError(
      `environments.${ctx.envName}.database.backupKeyVariable names ${variable}, which is not set: the backup taken before migrating is encrypted with it. Set it (the same value every deploy of ${ctx.envName} uses) and deploy again; nothing was run.`,
    );
  return key;
}

/** Before anything runs: a key that is named must be set (a backup is never kept in the store unencrypted). */
export function checkBackupKey(ctx: StepContext): void {
  backupKey(ctx);
}

/**
 * Uploads the backup to the state store, encrypted (AES-256-GCM, core/sealed.ts), so another runner
 * can restore it (`rollback --database` from another clone): its ref and the SHA-256 of what was
 * sealed. Undefined when no key is named (a local store: the backup stays on this machine).
 */
export async function keepInStore(ctx: StepContext, saved: LocalBackup): Promise<{ ref: string; sha256: string } | undefined> {
  const key = backupKey(ctx);
  if (key === undefined) {
    if (ctx.sharedState)
      ctx.log.warn(
        `the backup ${saved.ref} stays on this machine: name environments.${ctx.envName}.database.backupKeyVariable to keep it, encrypted, in the shared state store, where \`rollback --database\` from another runner finds it`,
      );
    return undefined;
  }
  const header = Buffer.from(JSON.stringify({ relations: saved.relations, absent: !existsSync(saved.ref) }));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  const payload = Buffer.concat([length, header, existsSync(saved.ref) ? readFileSync(saved.ref) : Buffer.alloc(0)]);
  const sha256 = createHash('sha256').update(payload).digest('hex');
  const objectKey = `backups/${ctx.envName}/${fileSafeName(ctx.project.name)}/${ctx.deployId}.sealed`;
  await ctx.blobs.putBytes(objectKey, seal(payload, key));
  ctx.log.info(`backup kept in the state store, encrypted: ${objectKey} (sha256 ${sha256.slice(0, 16)}…)`);
  return { ref: `${STORE_REF}${objectKey}`, sha256 };
}

/** Downloads, decrypts and checks a backup kept in the store, into a private temp folder removed by `done`. */
export async function fetchFromStore(ctx: StepContext, ref: string, sha256: string | undefined): Promise<LocalBackup & { done(): void }> {
  const objectKey = ref.slice(STORE_REF.length);
  const what = `the backup ${objectKey} in the state store`;
  const key = backupKey(ctx);
  if (key === undefined)
    throw new UserError(`${what} is encrypted: environments.${ctx.envName}.database.backupKeyVariable must name the variable holding its key`);
  const sealed = await ctx.blobs.getBytes(objectKey);
  if (!sealed) throw new UserError(`${what} is missing (deleted from the store?); nothing was restored`);
  const payload = unseal(sealed, key, what);
  const actual = createHash('sha256').update(payload).digest('hex');
  if (sha256 && actual !== sha256)
    throw new UserError(
      `${what} does not match the checksum its deploy recorded (${sha256.slice(0, 16)}…, found ${actual.slice(0, 16)}…); nothing was restored`,
    );
  const headerLength = payload.readUInt32BE(0);
  const header = JSON.parse(payload.subarray(4, 4 + headerLength).toString('utf8')) as { relations?: string[]; absent?: boolean };
  const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-restore-'));
  const file = join(dir, 'backup');
  if (!header.absent) writeFileSync(file, payload.subarray(4 + headerLength), { mode: 0o600 });
  return { ref: file, relations: header.relations, done: () => rmSync(dir, { recursive: true, force: true }) };
}
