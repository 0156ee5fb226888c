import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What a runtime remembers about a service in an environment (what runs now, what ran before,
 * for a rollback), one JSON file per service and runtime under the state folder. Written whole
 * through a rename, so a crash leaves the old or the new state, never half of one. It never
 * holds a secret: runtimes store secret settings by the variable that holds them.
 */
export class ServiceState<T extends object> {
  private readonly path: string;

  constructor(stateDir: string, env: string, project: string, runtime: string) {
    // Scoped project names (@scope/name) stay one file.
    this.path = join(stateDir, 'services', env, `${project.replace(/[\\/]/g, '__')}.${runtime}.json`);
  }

  read(): Partial<T> {
    if (!existsSync(this.path)) return {};
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as Partial<T>;
    } catch {
      return {};
    }
  }

  write(state: Partial<T>): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
