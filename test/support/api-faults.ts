import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clone } from './clone.ts';

/**
 * The api-server allows fault injection only where APP_ENV is development or test. A staging
 * rehearsal that must make its new version slow labels it through POD_APP_ENV (the clone's
 * api-server gets APP_ENV from that variable instead of the environment's name); every other
 * deploy of the test passes POD_APP_ENV=staging, where the api-server refuses faults.
 */
export async function appEnvFromVariable(clone: Clone): Promise<void> {
  const file = join(clone.dir, 'packages/api-server/package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  pkg.nx.targets.rollout.options.env.APP_ENV = '${POD_APP_ENV}';
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  await clone.commit('the test: APP_ENV from POD_APP_ENV, so a rehearsal may label itself test');
}

/** Changes the faults of the api-server answering at `base` (its /_faults, behind FAULT_TOKEN). */
export function postFaults(base: string, token: string, faults: Record<string, unknown>): Promise<Response> {
  return fetch(`${base}/_faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(faults),
  });
}
