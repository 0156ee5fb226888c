import { runtimeKind } from '../config/runtime-kinds.ts';
import type { ProjectFacts } from '../config/project.ts';
import type { StepDefinition } from '../step-kit/step.ts';

/**
 * A step as inference and the executors see it: its metadata, and its code loaded only when it
 * runs (createNodes runs in every Nx command and must not load zod, execa or any step).
 */
export interface StepEntry {
  /** The executor's and the inferred target's name. */
  name: string;
  description: string;
  /** Part of a project's deploy in an environment where the project runs on `runtime`. */
  inDeploy(p: ProjectFacts, runtime: string): boolean;
  /** Inferred as a target of its own (default: when some environment's deploy includes it). */
  inferred?(p: ProjectFacts, runtimes: string[]): boolean;
  /** The inferred target's options. */
  options?(p: ProjectFacts): Record<string, unknown> | undefined;
  /**
   * The inferred target depends on the project's build target, whichever plugin or file declares
   * it (Nx skips a dependency on a target the project does not have).
   */
  afterBuild?(p: ProjectFacts): boolean;
  /** Changes nothing anywhere (a check): it keeps `development` as its default configuration. */
  readOnly?: boolean;
  load(): Promise<StepDefinition>;
}

const backend = (p: ProjectFacts) => p.role === 'backend';

/**
 * Every step, in deploy order. A new step is its own file in steps/ plus one entry here; Nx's
 * executors.json and the JSON schemas are generated from this list.
 */
export const STEPS: StepEntry[] = [
  {
    name: 'predeploy',
    description:
      "The runbook's pre-deployment checks, before anything changes: variables set, lock files in sync, dependency audit, secrets scan, migrations on a scratch copy, tests, image scan; each pass, fail or unknown",
    inDeploy: (p) => p.role !== 'none',
    afterBuild: () => true,
    readOnly: true,
    load: () => import('./predeploy.ts').then((m) => m.predeployStep as unknown as StepDefinition),
  },
  {
    name: 'build-image',
    description:
      "Build the project's container image once, push it with version, commit and environment tags, and record its digest; or promote the digest that passed an earlier environment",
    inDeploy: (p, runtime) => backend(p) && Boolean(runtimeKind(runtime)?.needsImage),
    afterBuild: () => true,
    load: () => import('./build-image.ts').then((m) => m.buildImageStep as unknown as StepDefinition),
  },
  {
    name: 'migrate',
    description: 'Apply pending database migrations behind a backup; restore the backup if they fail',
    inDeploy: (p) => backend(p) && Boolean(p.migrations),
    options: (p) => ({ tool: p.migrations }),
    afterBuild: (p) => p.migrations === 'builtin',
    load: () => import('./migrate.ts').then((m) => m.migrateStep as unknown as StepDefinition),
  },
  {
    name: 'rollout',
    description:
      'Replace the running version of a backend service (runtime process, container, compose or kubernetes), checked healthy; the previous version is kept for a rollback',
    inDeploy: backend,
    options: (p) => ({ ...(p.start ? { command: p.start } : {}), database: Boolean(p.migrations) }),
    afterBuild: () => true,
    load: () => import('./rollout.ts').then((m) => m.rolloutStep as unknown as StepDefinition),
  },
  {
    name: 'deploy-cdn',
    description:
      "Publish a frontend's static build as a content-addressed release (S3-compatible bucket or a folder): new assets first, entry points switched last, earlier releases kept for open tabs and an instant rollback",
    inDeploy: (p) => p.role === 'frontend',
    afterBuild: () => true,
    load: () => import('./deploy-cdn.ts').then((m) => m.deployCdnStep as unknown as StepDefinition),
  },
  {
    name: 'smoke',
    description:
      'HTTP checks (status, JSON fields, headers, latency) retried until healthy or a deadline; for a frontend, its page loaded in headless Chromium',
    inDeploy: (p) => backend(p) || p.role === 'frontend',
    options: (p) => (p.role === 'frontend' ? { site: true } : undefined),
    readOnly: true,
    load: () => import('./smoke.ts').then((m) => m.smokeStep as unknown as StepDefinition),
  },
  {
    name: 'cutover',
    description:
      "Behind the proxy, after the smoke test passed on the new version's private port: send it the requests, all at once or in canary steps judged by the verification triggers on its own metrics; the previous version keeps running (warm) for an instant switch back",
    inDeploy: (p, runtime) => backend(p) && Boolean(runtimeKind(runtime)?.behindProxy),
    load: () => import('./cutover.ts').then((m) => m.cutoverStep as unknown as StepDefinition),
  },
  {
    name: 'verify',
    description:
      "Watch the new version for the environment's verification window (health, readiness, error rate and latency from its metrics); a trigger sustained for its whole duration rolls the deploy back",
    inDeploy: (p) => backend(p) || p.role === 'frontend',
    options: (p) => (p.role === 'frontend' ? { site: true } : undefined),
    readOnly: true,
    load: () => import('./verify.ts').then((m) => m.verifyStep as unknown as StepDefinition),
  },
  {
    name: 'loadtest',
    description:
      "The runbook's load test: autocannon against the service with latencies in an HDR histogram (p95, p99), error rate and throughput judged against the environment's budget and kept in the ledger; where required, a passing one of the same commit elsewhere",
    inDeploy: backend,
    load: () => import('./loadtest.ts').then((m) => m.loadtestStep as unknown as StepDefinition),
  },
  {
    name: 'publish-npm',
    description: "Publish the package's packed tarball to the environment's npm registry unless that version is out",
    inDeploy: (p) => p.role === 'package' && p.publish === 'npm',
    afterBuild: () => true,
    load: () => import('./publish-npm.ts').then((m) => m.publishNpmStep as unknown as StepDefinition),
  },
  {
    name: 'publish-crate',
    description: "Publish the crate with cargo to the environment's crate registry unless that version is in its index",
    inDeploy: (p) => p.role === 'package' && p.publish === 'crate',
    load: () => import('./publish-crate.ts').then((m) => m.publishCrateStep as unknown as StepDefinition),
  },
];

export function stepEntry(name: string): StepEntry | undefined {
  return STEPS.find((s) => s.name === name);
}
