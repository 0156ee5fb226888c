import { z } from 'zod';
import { alertSecretVariables, alertsSchema } from './alerts.ts';
import { cdnSchema } from './cdn.ts';
import { canaryJudging, rollbackSchema, unfireableIn, verifySchema } from './verify.ts';
import { predeploySchema } from './predeploy.ts';
import { loadtestSchema } from './loadtest.ts';
import { httpUrl, variableName } from './fields.ts';
import { ROLES } from './project.ts';
import { serverFields, sshSchema } from './servers.ts';
import { proxySchema, strategySchema } from './proxy.ts';
import { RUNTIME_NAMES, runtimeIn, type RuntimeName } from './runtime-kinds.ts';

const projectName = z.string().min(1);

export const roleSchema = z.enum(ROLES);

export const runtimeSchema = z
  .enum(RUNTIME_NAMES)
  .describe(
    'How backend services are rolled out: local processes, one container of the pushed image, a compose file, or Kubernetes manifests pinned to it',
  );

const serviceSchema = z.strictObject({
  url: httpUrl.describe('Where the service answers in this environment (smoke tests and roll-out health use it)'),
  runtime: runtimeSchema.optional().describe("This service's runtime, when not the environment's"),
  healthPath: z
    .string()
    .startsWith('/')
    .optional()
    .describe('Answers 200 when the service is healthy (roll-out and smoke check it); without it, GET / must answer 2xx or 3xx'),
  readyPath: z.string().startsWith('/').optional().describe('Answers 200 while the service can reach its database (verification samples it)'),
  metricsPath: z.string().startsWith('/').optional().describe('Prometheus metrics (verification computes error rate and latency from them)'),
  ...serverFields,
  strategy: strategySchema.optional(),
});

/** Where the ledger, the environment locks and rollback targets live: this checkout, or any S3-compatible store. */
export const stateSchema = z.discriminatedUnion('backend', [
  z.strictObject({ backend: z.literal('file') }).describe('Files under stateDir: one machine, no setup'),
  z
    .strictObject({
      backend: z.literal('s3'),
      bucket: z.string().min(3),
      prefix: z.string().default('nx-deploy/').describe('Key prefix of every object the tool writes'),
      region: z.string().default('us-east-1'),
      endpoint: httpUrl.optional().describe('Any S3-compatible store (MinIO, R2, Ceph, versitygw); AWS S3 when unset'),
      forcePathStyle: z.boolean().default(false).describe('bucket in the path instead of the host name (most self-hosted stores)'),
      accessKeyIdVariable: variableName.optional().describe('Variable holding the access key id (else the AWS SDK default chain)'),
      secretAccessKeyVariable: variableName.optional().describe('Variable holding the secret access key'),
      leaseSeconds: z
        .int()
        .min(2)
        .max(3600)
        .default(60)
        .describe("A lock lease not renewed for this long (by the store's own clock) may be taken over"),
    })
    .refine((s) => Boolean(s.accessKeyIdVariable) === Boolean(s.secretAccessKeyVariable), {
      error: "set both accessKeyIdVariable and secretAccessKeyVariable, or neither (the AWS SDK's default chain)",
      path: ['secretAccessKeyVariable'],
    })
    .describe('Any S3-compatible store that honours conditional writes (If-None-Match, If-Match)'),
]);

const signingSchema = z.strictObject({
  publicKey: z.string().min(1).describe('The cosign public key: its PEM text, or a path to it relative to the workspace root (e.g. keys/cosign.pub)'),
  privateKeyVariable: variableName
    .optional()
    .describe('Variable holding the cosign private key (PEM) that build-image signs with: set it only where images are built'),
  passwordVariable: variableName.optional().describe("Variable holding the private key's password (cosign generate-key-pair asks for one)"),
  sbom: z.boolean().default(true).describe('Attach an SBOM (syft, SPDX JSON) as a signed attestation, and require it when promoting'),
});

export const environmentSchema = z.strictObject({
  description: z.string().optional(),
  branch: z.string().min(1).optional().describe('The git branch that deploys to this environment'),
  approval: z
    .strictObject({
      required: z.boolean(),
      approverVariable: variableName.default('DEPLOY_APPROVER').describe('Set by CI to the approving reviewer'),
    })
    .default({ required: false, approverVariable: 'DEPLOY_APPROVER' }),
  runtime: runtimeSchema.default('process'),
  ssh: sshSchema.optional(),
  proxy: proxySchema.optional(),
  kubernetes: z
    .strictObject({ validate: z.boolean().default(true).describe("kubectl apply's schema validation (needs the cluster's OpenAPI)") })
    .optional()
    .describe('kubectl uses KUBECONFIG from the environment'),
  database: z
    .strictObject({
      urlVariable: variableName.optional().describe('Variable holding the database URL (a secret)'),
      backupKeyVariable: variableName
        .optional()
        .describe(
          'Variable holding the passphrase that encrypts the backup taken before migrating (AES-256-GCM), which then goes to the state store: required where that store is S3',
        ),
      url: z
        .string()
        .startsWith('file:', { error: 'only a file: (SQLite) URL may be written here; put other URLs in the variable named by urlVariable' })
        .optional(),
    })
    .refine((d) => d.urlVariable || d.url, { error: 'set urlVariable (or url for a local SQLite file)' })
    .optional(),
  services: z.record(projectName, serviceSchema).default({}),
  npm: z.strictObject({ registry: httpUrl, distTag: z.string().min(1), tokenVariable: variableName.optional() }).optional(),
  crates: z.strictObject({ registry: z.string().min(1), index: z.string().optional(), tokenVariable: variableName.optional() }).optional(),
  containers: z
    .strictObject({
      registry: z.string().min(1).describe('host[:port] of the container registry'),
      engine: z.enum(['docker', 'podman', 'buildah']).optional().describe('Detected (docker, podman, buildah) when unset'),
      insecure: z.boolean().default(false).describe('Plain-HTTP registry (loopback registries always are)'),
      usernameVariable: variableName.optional(),
      passwordVariable: variableName.optional(),
      promoteFrom: z.string().optional().describe('Do not build: promote the image that passed this environment, by digest'),
      signing: signingSchema
        .optional()
        .describe(
          'cosign key pair: build-image signs each pushed digest (with the commit) and attaches an SBOM; a promoting environment verifies both before anything changes',
        ),
    })
    .optional(),
  cdn: cdnSchema,
  predeploy: predeploySchema.optional().describe('Checks before a deploy changes anything (none when absent, as in development)'),
  verify: verifySchema.optional(),
  loadtest: loadtestSchema
    .optional()
    .describe('A load test of each backend after its roll-out (budget), and/or a passing one required from another environment (require)'),
  rollback: rollbackSchema.default({ database: 'never' }),
  alerts: alertsSchema.prefault({}).describe('Where alerts go: channels (Slack, PagerDuty, email, webhook) and which severity reaches which'),
  state: stateSchema.optional().describe("Where this environment's ledger and lock live, when not the top-level state"),
  readState: z
    .record(
      z.string(),
      z.strictObject({
        accessKeyIdVariable: variableName.describe("Variable holding a key that may only read that environment's state"),
        secretAccessKeyVariable: variableName,
      }),
    )
    .default({})
    .describe(
      "Credentials (read-only ones) with which this environment reads another's records: the image it promotes (containers.promoteFrom), the load test it requires (loadtest.require)",
    ),
  secrets: z.array(variableName).default([]).describe('Variables whose values are redacted from all output'),
  ephemeralSecrets: z
    .array(variableName)
    .default([])
    .describe('Secrets generated per deploy when unset (for environments without approval, e.g. development)'),
});

const releaseSchema = z.strictObject({
  environment: z.string().default('production').describe('Whose npm/crates registries and dist-tag a release uses'),
  concurrency: z.int().min(1).max(16).default(4).describe('Packages published at once within one dependency layer'),
  pushTags: z.string().min(1).optional().describe('Push the new tags to this git remote (e.g. origin)'),
  github: z
    .strictObject({
      repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, { error: 'expected owner/name' }),
      apiUrl: httpUrl.default('https://api.github.com').describe('GitHub Enterprise: https://HOST/api/v3'),
      tokenVariable: variableName.default('GITHUB_TOKEN'),
    })
    .optional()
    .describe('Create one GitHub release per new tag'),
});

export const deployFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    release: releaseSchema.default({ environment: 'production', concurrency: 4 }),
    stateDir: z.string().default('.nx-deploy').describe('Ledger, locks, backups and local service state, relative to the workspace'),
    state: stateSchema.default({ backend: 'file' }).describe('Where deploy state lives for every environment (each may override it)'),
    environments: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), environmentSchema),
    projects: z
      .record(projectName, z.strictObject({ role: roleSchema.optional() }))
      .default({})
      .describe('Per-project overrides of what inference decided'),
  })
  .superRefine((file, ctx) => {
    for (const [name, env] of Object.entries(file.environments)) {
      for (const [project, service] of Object.entries(env.services)) {
        // A canary step shorter than a trigger's `for` (plus one interval) could never be stopped by it.
        const judging = canaryJudging(env.verify);
        for (const [i, step] of (service.strategy?.canary?.steps ?? []).entries()) {
          const longest = unfireableIn(step.pause, judging.interval, judging.triggers);
          if (longest)
            ctx.addIssue({
              code: 'custom',
              path: ['environments', name, 'services', project, 'strategy', 'canary', 'steps', i, 'pause'],
              message: `${step.pause} is shorter than the longest verification trigger's for (${longest.for}, ${longest.name ?? longest.metric}) plus one interval (${judging.interval}): that trigger could never stop this step; lengthen the pause or shorten its for`,
            });
        }
        if (service.migrate?.on === 'server' && !service.servers)
          ctx.addIssue({
            code: 'custom',
            path: ['environments', name, 'services', project, 'migrate', 'on'],
            message: 'migrating from a server needs the service to name its servers',
          });
        if (!service.servers) continue;
        const path = ['environments', name, 'services', project, 'servers'];
        const runtime = service.runtime ?? env.runtime;
        if (runtime !== 'container' && runtime !== 'compose')
          ctx.addIssue({ code: 'custom', path, message: `servers are for the container and compose runtimes; ${project} runs with ${runtime} here` });
        if (!env.ssh)
          ctx.addIssue({
            code: 'custom',
            path: ['environments', name, 'ssh'],
            message: `${project} names servers: say how to reach them (ssh: { privateKeyVariable, knownHostsVariable or knownHosts })`,
          });
        const seen = new Set<string>();
        for (const [i, spec] of service.servers.entries()) {
          if (seen.has(spec)) ctx.addIssue({ code: 'custom', path: [...path, i], message: `${spec} is listed twice` });
          seen.add(spec);
        }
      }
      const c = env.containers;
      if (c?.promoteFrom && c.signing?.privateKeyVariable)
        ctx.addIssue({
          code: 'custom',
          path: ['environments', name, 'containers', 'signing', 'privateKeyVariable'],
          message: `${name} promotes ${c.promoteFrom}'s images and builds none: it only verifies signatures, so give it the public key alone and the private key to ${c.promoteFrom}`,
        });
      if (env.approval.required && c?.promoteFrom && !c.signing)
        ctx.addIssue({
          code: 'custom',
          path: ['environments', name, 'containers', 'signing'],
          message: `${name} requires approval and promotes the image ${c.promoteFrom} recorded: without signing.publicKey it would run whatever digest a ${c.promoteFrom} record names. Make a key pair (cosign generate-key-pair), give ${c.promoteFrom} containers.signing { publicKey, privateKeyVariable } and ${name} containers.signing { publicKey }`,
        });
      if (env.approval.required && env.ephemeralSecrets.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['environments', name, 'ephemeralSecrets'],
          message: 'an environment that requires approval must take its secrets from real variables, not generated ones',
        });
      }
    }
  });

export type DeployFile = z.infer<typeof deployFileSchema>;
export type StateConfig = z.infer<typeof stateSchema>;
export type Environment = z.infer<typeof environmentSchema>;
export type Role = z.infer<typeof roleSchema>;

/** The runtime of a service in an environment: its own, else the environment's. */
export function runtimeOf(env: Environment, project: string): RuntimeName {
  return runtimeIn(env, project) as RuntimeName;
}

/** Every variable an environment names as holding a secret: all of them are redacted. */
export function secretVariables(env: Environment): string[] {
  const names = new Set<string>([...env.secrets, ...env.ephemeralSecrets]);
  const add = (v: string | undefined) => v && names.add(v);
  add(env.database?.urlVariable);
  add(env.database?.backupKeyVariable);
  add(env.npm?.tokenVariable);
  add(env.crates?.tokenVariable);
  add(env.containers?.passwordVariable);
  add(env.containers?.signing?.privateKeyVariable);
  add(env.containers?.signing?.passwordVariable);
  add(env.ssh?.privateKeyVariable);
  if (env.state?.backend === 's3') add(env.state.secretAccessKeyVariable);
  for (const site of Object.values(env.cdn)) if (site.provider === 's3') add(site.secretAccessKeyVariable);
  for (const v of alertSecretVariables(env.alerts)) add(v);
  for (const read of Object.values(env.readState)) add(read.secretAccessKeyVariable);
  return [...names];
}

/**
 * Every secret variable deploy.json names, in any environment, its state stores and the release's
 * GitHub token: all are redacted in every run, so a value a runner happens to hold for another
 * environment (production's database URL in a staging job) never reaches output either.
 */
export function fileSecretVariables(file: DeployFile): string[] {
  const names = new Set(Object.values(file.environments).flatMap(secretVariables));
  if (file.state.backend === 's3' && file.state.secretAccessKeyVariable) names.add(file.state.secretAccessKeyVariable);
  if (file.release.github) names.add(file.release.github.tokenVariable);
  return [...names];
}

/**
 * Every variable a deploy to the environment reads that CI must provide: its secrets and the
 * identifiers that go with them (registry user, access key ids) of its state store, registry and
 * CDN sites. Not the approver (CI sets it only after a review) nor ephemeral secrets (generated).
 */
export function configuredVariables(env: Environment, state: StateConfig): string[] {
  const names = new Set(secretVariables(env).filter((v) => !env.ephemeralSecrets.includes(v) || env.secrets.includes(v)));
  const add = (v: string | undefined) => v && names.add(v);
  add(env.containers?.usernameVariable);
  add(env.ssh?.knownHostsVariable);
  if (state.backend === 's3') {
    add(state.accessKeyIdVariable);
    add(state.secretAccessKeyVariable);
  }
  for (const site of Object.values(env.cdn)) if (site.provider === 's3') add(site.accessKeyIdVariable);
  for (const read of Object.values(env.readState)) add(read.accessKeyIdVariable);
  return [...names];
}

/** Where an environment's state lives: its own `state`, else the file's. */
export function stateOf(file: DeployFile, envName: string): StateConfig {
  return file.environments[envName]?.state ?? file.state;
}
