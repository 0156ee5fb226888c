import type { LedgerStore } from '../store/state-store.ts';

/**
 * Copies one environment's records from a local ledger into another store, oldest first, leaving
 * out records the store already has (by id): a team moving to CI keeps its history, and a second
 * import adds nothing.
 */
export async function importLedger(from: LedgerStore, to: LedgerStore, env: string): Promise<{ copied: number; present: number }> {
  const have = new Set((await to.read(env)).records.map((r) => r.id));
  const { records } = await from.read(env);
  let copied = 0;
  for (const record of records) {
    if (have.has(record.id)) continue;
    const { generation: _local, ...unfenced } = record;
    await to.append(unfenced);
    copied++;
  }
  return { copied, present: records.length - copied };
}
