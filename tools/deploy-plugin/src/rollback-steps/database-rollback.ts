import { existsSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import type { LedgerRecord } from '../store/state-store.ts';
import { fetchFromStore, STORE_REF } from '../step-kit/backup-in-store.ts';
import { restoreBackup } from '../steps/migrate.ts';
import type { StepContext, StepDefinition } from '../step-kit/step.ts';

/** The runs that migrate: a deploy, or the migrate step run on its own. */
const MIGRATING = new Set(['deploy', 'migrate']);

/**
 * Pure: the backup a manual database rollback restores, from an environment's ledger (oldest
 * first): the one taken by the newest successful run that migrated the project's database —
 * only if that run is the newest successful migrating run at all (a later deploy that did not
 * migrate means the schema it left is not that backup's concern) and no rollback restored it since.
 */
export function backupToRestore(records: LedgerRecord[], project: string): { ref: string; id: string; sha256?: string } | { problem: string } {
  const mine = records.filter((r) => r.project === project && r.status === 'succeeded');
  const last = mine.findLast((r) => MIGRATING.has(r.kind));
  if (!last) return { problem: 'no successful deploy of it is recorded here' };
  if (!last.backupRef)
    return { problem: `its last deploy (${last.id}, ${last.version}) did not migrate the database, so there is no backup to go back to` };
  const since = mine.slice(mine.indexOf(last) + 1);
  const restoredBy = since.find((r) => r.steps?.some((s) => s.name === 'database' && s.status === 'succeeded'));
  if (restoredBy) return { problem: `the backup of ${last.id} was already restored by ${restoredBy.kind} ${restoredBy.id}` };
  return { ref: last.backupRef, id: last.id, ...(last.backupSha256 ? { sha256: last.backupSha256 } : {}) };
}

async function backupOrRefuse(ctx: StepContext): Promise<{ ref: string; id: string; sha256?: string }> {
  const { records } = await ctx.ledger.read(ctx.envName);
  const found = backupToRestore(records, ctx.project.name);
  const refused = `the database of ${ctx.project.name} in ${ctx.envName} cannot be rolled back`;
  if ('problem' in found) throw new UserError(`${refused}: ${found.problem}; nothing was changed`);
  if (!found.ref.startsWith(STORE_REF) && !existsSync(found.ref))
    throw new UserError(
      `${refused}: the backup ${found.ref} taken by ${found.id} is not on this machine (without environments.${ctx.envName}.database.backupKeyVariable, backups stay where the deploy ran); nothing was changed`,
    );
  return found;
}

/**
 * `nx-deploy rollback <backend> --database`: after the service went back, the database goes back
 * to the backup its last deploy took before migrating (pg_restore into a database stripped of
 * what the migration created; the SQLite file copied back). Whatever was written since is lost:
 * that is why it is asked for by name.
 */
export const databaseRollbackStep: StepDefinition<z.ZodObject> = {
  options: z.strictObject({}),

  plan(_o, ctx) {
    return [{ title: `restore the database of ${ctx.project.name} from the backup its last deploy took before migrating` }];
  },

  async preflight(_o, ctx) {
    const { ref, id, sha256 } = await backupOrRefuse(ctx);
    // One kept in the store is opened now (key, checksum): a backup that cannot be restored stops the rollback before the service moves.
    if (ref.startsWith(STORE_REF)) (await fetchFromStore(ctx, ref, sha256)).done();
    ctx.log.info(`the database will be restored from ${ref} (taken by ${id})`);
  },

  async run(_o, ctx) {
    const { ref, id, sha256 } = await backupOrRefuse(ctx);
    await restoreBackup(ctx, ref, sha256);
    ctx.log.info(`the database is restored from ${ref}`);
    return { backupRef: ref, detail: `restored from the backup of ${id}` };
  },
};
