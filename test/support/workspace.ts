import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Options } from 'execa';
import { stopWhatDeploysLeft } from './processes.ts';

export const workspaceRoot = join(import.meta.dirname, '..', '..');

/**
 * A deploy configuration of the test's own: deploy.json in a temp dir, passed to Nx through
 * NX_DEPLOY_FILE, with its state folder (ledger, locks, backups, services) in the same temp dir.
 * The real workspace's deploy.json and .nx-deploy are never touched.
 */
export class TestDeployment {
  readonly dir = mkdtempSync(join(tmpdir(), 'pod-deploy-e2e-'));
  readonly stateDir = join(this.dir, 'state');
  readonly file = join(this.dir, 'deploy.json');

  constructor(environments: Record<string, unknown>) {
    this.write(environments);
  }

  write(environments: Record<string, unknown> | string): void {
    writeFileSync(this.file, typeof environments === 'string' ? environments : JSON.stringify({ stateDir: this.stateDir, environments }, null, 2));
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return { NX_DEPLOY_FILE: this.file, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0', ...extra };
  }

  /** Runs nx (or nx-deploy) from the workspace, as a user would with npx. */
  run(argv: string[], extraEnv: Record<string, string> = {}, options: Options = {}) {
    return execa('npx', argv, { cwd: workspaceRoot, env: this.env(extraEnv), reject: false, all: true, ...options });
  }

  ledger(env: string): Array<Record<string, unknown>> {
    const path = join(this.stateDir, 'ledger', `${env}.jsonl`);
    if (!existsSync(path)) return [];
    const latest = new Map<string, Record<string, unknown>>();
    for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
      const rec = JSON.parse(line);
      latest.set(rec.id, rec);
    }
    return [...latest.values()];
  }

  /** The PID of the service the deploy runs as a local process now (from the state folder). */
  servicePid(env: string, project: string): number | undefined {
    const path = join(this.stateDir, 'services', env, `${project}.process.json`);
    return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')).current?.pid : undefined;
  }

  lockDir(env: string): string {
    return join(this.stateDir, 'locks', env);
  }

  /** Files under the state folder whose bytes contain `text` (a secret must be in none). */
  filesContaining(text: string): string[] {
    if (!existsSync(this.stateDir)) return [];
    return readdirSync(this.stateDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .filter((f) => readFileSync(f).includes(text));
  }

  /** Stops what the deploys left running (sites' servers, proxies, service processes), and removes everything. */
  async cleanup(): Promise<void> {
    await stopWhatDeploysLeft(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
