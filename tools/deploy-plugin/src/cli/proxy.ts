import { resolve } from 'node:path';
import type { DeployFile } from '../config/environments.ts';
import { placementsOf } from '../config/servers.ts';
import { localHost } from '../core/host.ts';
import { createLogger } from '../core/log.ts';
import type { Redactor } from '../core/redact.ts';
import { Runner } from '../core/run.ts';
import { ServerPool } from '../hosts/server-pool.ts';
import { serviceProxyAt } from '../runtimes/traffic.ts';
import type { StateStore } from '../store/state-store.ts';

/**
 * `nx-deploy proxy stop --env <env>`: stops the proxy of each of the environment's services (or
 * one) where it runs: this machine, or each of its servers over SSH. What the store remembers of
 * their routes stays, so the next deploy starts them again as they were.
 */
export async function stopProxies(
  c: { workspaceRoot: string; file: DeployFile; envName: string; store: StateStore; redactor: Redactor },
  only?: string,
): Promise<number> {
  const env = c.file.environments[c.envName]!;
  const log = createLogger(c.redactor);
  const runner = new Runner(c.workspaceRoot, c.redactor, log);
  const pool = new ServerPool({ envName: c.envName, env, environ: process.env, runner });
  const projects = Object.keys(env.services).filter((p) => !only || p === only);
  const base = { envName: c.envName, env, stateDir: resolve(c.workspaceRoot, c.file.stateDir), blobs: c.store.blobs };
  try {
    for (const project of projects) {
      const service = env.services[project]!;
      const places = placementsOf(service, env.ssh).length
        ? (await pool.connect(project)).map((s) => ({ host: s.host, url: s.url }))
        : [{ host: localHost(runner), url: service.url }];
      for (const place of places) {
        const stopped = await (await serviceProxyAt({ ...base, project }, place.host, place.url)).stop();
        const where = place.host.remote ? ` on ${place.host.label}` : '';
        console.log(stopped ? `stopped the proxy of ${project}${where}` : `${project}${where}: no proxy runs`);
      }
    }
  } finally {
    await pool.close();
  }
  return 0;
}
