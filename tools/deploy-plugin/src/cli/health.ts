import { siteOf } from '../config/cdn.ts';
import type { Environment } from '../config/environments.ts';
import { serviceHealthCheck } from '../config/services.ts';
import { placementsOf } from '../config/servers.ts';
import { probe } from '../core/http.ts';

/** One thing `nx-deploy health` checks: a service's health endpoint, or a frontend's page. */
export interface HealthTarget {
  project: string;
  url: string;
  /** What must answer, for the line it prints. */
  expects: string;
  failure(status: number, contentType: string): string | undefined;
}

/**
 * Pure: what answers in an environment, from deploy.json: every service's health URL (on each of its
 * servers where it has servers), then every
 * frontend's site (its page must be HTML), in that order — backends first, as they deploy.
 */
export function healthTargets(envName: string, env: Environment, frontends: string[]): HealthTarget[] {
  // A service on servers is checked on each of them (the service URL may be a load balancer that hides one).
  const services = Object.entries(env.services).flatMap(([project, s]): HealthTarget[] => {
    const check = serviceHealthCheck(env, project);
    const servers = placementsOf(s, env.ssh);
    return (servers.length ? servers.map((p) => p.url) : [s.url.replace(/\/$/, '')]).map((base) => ({
      project,
      url: `${base}${check.path}`,
      expects: check.expects,
      failure: (status) => (check.ok(status) ? undefined : `answered ${status}, expected ${check.expects}`),
    }));
  });
  const sites = frontends.map((project): HealthTarget => {
    const { url } = siteOf(env, envName, project);
    return {
      project,
      url,
      expects: '200 text/html',
      failure: (status, type) =>
        status !== 200
          ? `answered ${status}, expected 200`
          : type.startsWith('text/html')
            ? undefined
            : `answered ${type || 'no Content-Type'}, expected text/html`,
    };
  });
  return [...services, ...sites];
}

/** Checks each target in order and stops at the first failure, naming it: exit code 0 or 1. */
export async function checkHealth(envName: string, targets: HealthTarget[], timeoutMs: number): Promise<number> {
  if (!targets.length) {
    console.error(`${envName} declares no service (environments.${envName}.services) and the workspace has no frontend: nothing to check`);
    return 1;
  }
  const width = Math.max(...targets.map((t) => t.project.length));
  for (const t of targets) {
    const failure = await probe(t.url, { timeoutMs }).then(
      (res) => t.failure(res.status, res.headers.get('content-type') ?? ''),
      (err: Error & { cause?: Error }) => (err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.message ?? err.message)),
    );
    if (failure) {
      console.error(`FAIL ${t.project.padEnd(width)}  ${t.url}: ${failure}`);
      console.error(`${t.project} is not healthy in ${envName}; the checks after it were not run`);
      return 1;
    }
    console.log(`ok   ${t.project.padEnd(width)}  ${t.url} (${t.expects})`);
  }
  console.log(`${envName}: all ${targets.length} healthy`);
  return 0;
}
