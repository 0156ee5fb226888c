/**
 * node:sqlite, loaded only when a SQLite backup is taken. Node 22 flags it experimental and
 * warns once; that one known warning is dropped so deploy output stays about the deploy.
 */
export async function importSqlite(): Promise<typeof import('node:sqlite')> {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('SQLite is an experimental feature')) return;
    (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await import('node:sqlite');
  } finally {
    process.emitWarning = emit;
  }
}

/** A consistent copy of a SQLite file (VACUUM INTO), even while a service has it open. */
export async function copySqlite(from: string, to: string): Promise<void> {
  const { DatabaseSync } = await importSqlite();
  const conn = new DatabaseSync(from);
  try {
    conn.exec(`VACUUM INTO '${to.replace(/'/g, "''")}'`);
  } finally {
    conn.close();
  }
}
