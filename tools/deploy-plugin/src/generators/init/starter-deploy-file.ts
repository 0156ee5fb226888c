import type { ProjectFacts } from '../../config/project.ts';

/** The schema path a user's editor resolves: the installed package's copy. */
export const SCHEMA_REF = './node_modules/@pod-protocol/nx-deploy/deploy.schema.json';

/**
 * Pure: the deploy.json `nx add` writes. development runs each detected service as a local
 * process on a free port and serves each frontend from a local folder on another (so
 * `nx run-many -t deploy -c development` works as written); staging
 * and production are skeletons whose placeholders (example.com) and variable names say what to
 * set, their services on servers reached over SSH. No public registry is written for staging: a skeleton must never publish by accident, and
 * production asks for approval.
 */
export function starterDeployFile(detected: ProjectFacts[], ports: number[]): Record<string, unknown> {
  const backends = detected.filter((p) => p.role === 'backend');
  const frontends = detected.filter((p) => p.role === 'frontend');
  const packages = detected.filter((p) => p.role === 'package' && p.publish === 'npm');
  const services = (url: (name: string, i: number) => string, servers?: string[]) =>
    Object.fromEntries(
      backends.map((p, i) => [p.name, { url: url(p.name, i), ...(servers ? { servers, serverUrl: `http://{host}:${3000 + i}` } : {}) }]),
    );
  // Backends run on the environment's servers, over SSH: the key and the pinned host keys from CI's secrets.
  const ssh = (env: string) =>
    backends.length
      ? { ssh: { user: 'deploy', privateKeyVariable: `${env.toUpperCase()}_SSH_KEY`, knownHostsVariable: `${env.toUpperCase()}_SSH_KNOWN_HOSTS` } }
      : {};
  const sites = (site: (name: string, i: number) => Record<string, unknown>) =>
    frontends.length ? { cdn: Object.fromEntries(frontends.map((p, i) => [p.name, site(p.name, i)])) } : {};
  const bucket = (env: string) => (name: string) => ({
    provider: 's3',
    bucket: `${host(name)}-${env}`,
    url: `https://${host(name)}.${env === 'production' ? '' : `${env}.`}example.com`,
    accessKeyIdVariable: 'CDN_ACCESS_KEY_ID',
    secretAccessKeyVariable: 'CDN_SECRET_ACCESS_KEY',
  });
  const host = (name: string) =>
    name
      .replace(/^@/, '')
      .replace(/[^a-z0-9-]+/gi, '-')
      .toLowerCase();
  // One registry: production promotes staging's digest within it, verified by the key pair's public half.
  const containers = {
    registry: 'registry.example.com',
    usernameVariable: 'REGISTRY_USERNAME',
    passwordVariable: 'REGISTRY_PASSWORD',
  };
  const signing = { publicKey: 'keys/cosign.pub' };
  return {
    $schema: SCHEMA_REF,
    environments: {
      development: {
        description: 'This machine: services as local processes, no approval',
        runtime: 'process',
        services: services((_, i) => `http://127.0.0.1:${ports[i]}`),
        ...sites((_, i) => ({ provider: 'fs', url: `http://127.0.0.1:${ports[backends.length + i]}` })),
      },
      staging: {
        description:
          'Skeleton: set the registry, the servers and the service URLs (example.com), and the variables named here; cosign generate-key-pair makes the signing keys (cosign.pub in keys/, cosign.key in STAGING_COSIGN_KEY)',
        runtime: 'container',
        ...ssh('staging'),
        ...(backends.length
          ? {
              containers: {
                ...containers,
                signing: { ...signing, privateKeyVariable: 'STAGING_COSIGN_KEY', passwordVariable: 'STAGING_COSIGN_PASSWORD' },
              },
            }
          : {}),
        // The runbook's load test before production: each backend's deploy here ends with one.
        ...(backends.length ? { loadtest: { duration: '30s', connections: 10, budget: { p95Ms: 1000, p99Ms: 2000, maxErrorRate: 0.01 } } } : {}),
        services: services((name) => `https://${host(name)}.staging.example.com`, ['staging-1.example.com']),
        ...sites(bucket('staging')),
      },
      production: {
        description: 'Skeleton: as staging; promotes the image that passed staging; asks for approval',
        approval: { required: true },
        // The runbook's checklist before anything changes; an unknown (an advisory source or a tool missing) blocks here.
        predeploy: { checks: ['variables', 'lockfile', 'audit', 'secrets', 'migrations', 'tests'], unknown: 'block' },
        runtime: 'container',
        ...ssh('production'),
        ...(backends.length ? { containers: { ...containers, promoteFrom: 'staging', signing } } : {}),
        ...(backends.length ? { loadtest: { require: { environment: 'staging', maxAge: '24h' } } } : {}),
        services: services((name) => `https://${host(name)}.example.com`, ['prod-1.example.com', 'prod-2.example.com']),
        ...sites(bucket('production')),
        ...(packages.length ? { npm: { registry: 'https://registry.npmjs.org/', distTag: 'latest', tokenVariable: 'NPM_TOKEN' } } : {}),
      },
    },
  };
}
