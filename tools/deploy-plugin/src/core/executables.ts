import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first of `names` found in a folder of PATH, as a full path; undefined when none is installed. */
export function findExecutable(names: string[], environ: NodeJS.ProcessEnv): string | undefined {
  const dirs = (environ.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of names) for (const dir of dirs) if (existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}
