import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clone } from './clone.ts';

/**
 * The api-server allows fault injection only where APP_ENV is development or test, and the
 * workspace's roll-out passes the opt-in (FAULT_INJECTION, FAULT_TOKEN) only in development. A
 * staging rehearsal that must make its new version slow passes both in every environment of its
 * clone and labels itself through POD_APP_ENV (APP_ENV from that variable instead of the
 * environment's name); every other deploy of the test passes POD_APP_ENV=staging, where the
 * api-server refuses faults.
 */
export async function rehearsalFaults(clone: Clone): Promise<void> {
  const file = join(clone.dir, 'packages/api-server/package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  const { env } = pkg.nx.targets.rollout.configurations.development;
  pkg.nx.targets.rollout.options.env = { ...env, APP_ENV: '${POD_APP_ENV}' };
  delete pkg.nx.targets.rollout.configurations;
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  await clone.commit('the test: faults may be asked for in every environment, APP_ENV from POD_APP_ENV so a rehearsal may label itself test');
}

/** Changes the faults of the api-server answering at `base` (its /_faults, behind FAULT_TOKEN). */
export function postFaults(base: string, token: string, faults: Record<string, unknown>): Promise<Response> {
  return fetch(`${base}/_faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(faults),
  });
}
