import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  kubectlApply,
  kubectlCreateNamespace,
  kubectlGetJson,
  kubectlRolloutStatus,
  kustomizeBuild,
  pinnedKustomization,
} from '../commands/kubectl.ts';
import { UserError } from '../core/errors.ts';
import { imageServed } from '../image/engine.ts';
import { FailedWithRollback, nothingToRestore, restored, restoreFailed, type RollbackOutcome } from '../core/rollback.ts';
import type { Identity } from './health.ts';
import {
  missingSecrets,
  namespacesOf,
  parseManifests,
  rolloutGaps,
  secretReferencesOf,
  withContainerEnv,
  workloadsOf,
  type SecretReference,
} from './kubernetes-manifests.ts';
import { podsHealthy, waitRolledOut } from './kubernetes-pods.ts';
import type { Runtime, RuntimeContext, ServiceSpec } from './runtime.ts';
import { safely } from './safely.ts';
import { fileSafeName, nameSlug } from '../core/names.ts';

const safe = (ctx: RuntimeContext) => fileSafeName(ctx.project.name);
/** Where kubectl reads the manifests from: files of this machine (the state folder). */
const workDir = (ctx: RuntimeContext) => join(ctx.stateDir, 'kubernetes', ctx.envName, safe(ctx));
/** What is live, and what was live before: blobs in the state store, so a rollback from another machine finds them. */
const blob = (ctx: RuntimeContext, which: 'current' | 'previous') => `kubernetes/${ctx.envName}/${safe(ctx)}/${which}.yaml`;

/** Applies the manifests, waits for each Deployment (a pod stuck for good ends the wait at once) and checks the health of each new pod. */
async function applyAndWait(
  manifests: string,
  name: string,
  spec: ServiceSpec,
  expect: Identity | undefined,
  ctx: RuntimeContext,
): Promise<string | undefined> {
  mkdirSync(workDir(ctx), { recursive: true, mode: 0o700 });
  const file = join(workDir(ctx), name);
  writeFileSync(file, manifests, { mode: 0o600 });
  await ctx.runner.run(kubectlApply(file, { validate: ctx.env.kubernetes?.validate ?? true }));
  const image = imageOf(manifests);
  let reach: string | undefined;
  for (const w of workloadsOf(parseManifests(manifests))) {
    await waitRolledOut(w, spec.rolloutTimeoutMs, ctx);
    if (!image) continue;
    const healthy = await podsHealthy(w, image, spec.health, expect, ctx);
    if ('problem' in healthy) throw new UserError(`Deployment ${w.name} rolled out, but ${healthy.problem}`);
    reach ??= healthy.url;
  }
  return reach;
}

/** The image a rendered manifest runs (the first container's). */
const imageOf = (manifests: string) => /image: ["']?(\S+?)["']?$/m.exec(manifests)?.[1];

/** Applies the manifests that were live before this deploy, waits until they are rolled out and their pods healthy. */
async function restorePrevious(spec: ServiceSpec, ctx: RuntimeContext): Promise<RollbackOutcome> {
  const previous = await ctx.blobs.get(blob(ctx, 'previous'));
  if (!previous) return nothingToRestore('no earlier roll-out here; the failed manifests stay applied, fix and deploy again');
  const started = Date.now();
  try {
    await applyAndWait(previous, 'previous.yaml', spec, undefined, ctx);
  } catch (err) {
    return restoreFailed(
      `applied the previous manifests (${blob(ctx, 'previous')}) again, but they did not roll out healthy (${(err as Error).message.split('\n')[0]})`,
    );
  }
  await ctx.blobs.put(blob(ctx, 'current'), previous);
  // What served before is live now: nothing earlier is kept (as the other runtimes keep one version back).
  await ctx.blobs.put(blob(ctx, 'previous'), '');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  ctx.log.info(`rolled back: the previous manifests are live again and their pods healthy (${seconds} s)`);
  const image = imageOf(previous) ?? 'the previous manifests';
  return restored(image, `rolled out again and healthy in ${seconds} s`);
}

/** Namespaces the manifests use that the cluster does not have yet, created (as `helm --create-namespace` would). */
async function ensureNamespaces(objects: ReturnType<typeof parseManifests>, ctx: RuntimeContext): Promise<void> {
  for (const ns of namespacesOf(objects)) {
    const found = await ctx.runner.run(kubectlGetJson(`namespace/${ns}`), { quiet: true, allowFailure: true });
    if (found.exitCode === 0) continue;
    if (!/NotFound/.test(found.stderr)) throw new UserError(`${ctx.project.name}: could not look up namespace ${ns}: ${found.stderr.trim()}`);
    await ctx.runner.run(kubectlCreateNamespace(ns));
  }
}

/**
 * The Secrets the manifests read exist with the keys they read: otherwise the pods would sit in
 * CreateContainerConfigError until the timeout. Nothing is applied when one is missing.
 */
async function checkSecrets(objects: ReturnType<typeof parseManifests>, ctx: RuntimeContext): Promise<void> {
  const refs = secretReferencesOf(objects);
  const keys = new Map<SecretReference, string[] | undefined>();
  for (const ref of refs) {
    const res = await ctx.runner.run(kubectlGetJson(`secret/${ref.secret}`, { namespace: ref.namespace }), { quiet: true, allowFailure: true });
    if (res.exitCode !== 0 && !/NotFound/.test(res.stderr))
      throw new UserError(`${ctx.project.name}: could not look up Secret ${ref.secret}: ${res.stderr.trim()}`);
    keys.set(ref, res.exitCode === 0 ? Object.keys((JSON.parse(res.stdout) as { data?: object }).data ?? {}) : undefined);
  }
  const missing = missingSecrets(refs, (ref) => keys.get(ref));
  if (missing.length)
    throw new UserError(
      `${ctx.project.name}: the manifests of ${ctx.envName} read Secrets the cluster does not have, so nothing was applied:\n  ${missing.join('\n  ')}\n` +
        'Create them in the cluster (kubectl create secret generic <name> --namespace <namespace> --from-literal=<key>=...) or with your secrets operator, then deploy again.',
    );
}

/**
 * What the pods get from the roll-out: the version and commit (their health reports them), and the
 * roll-out's `env`. HOST and PORT, derived from the service URL for the other runtimes, are left to
 * the manifests (a pod's address is not the service's URL). Values holding a secret are refused:
 * rendered manifests are kept in the state store.
 */
function podEnv(spec: ServiceSpec, ctx: RuntimeContext): Record<string, string> {
  const env = Object.fromEntries(Object.entries(spec.env).filter(([k]) => k !== 'HOST' && k !== 'PORT'));
  const secret = Object.entries(env)
    .filter(([, v]) => ctx.redactor.redact(v) !== v)
    .map(([k]) => k);
  if (secret.length)
    throw new UserError(
      `${ctx.project.name}: the roll-out env of ${ctx.envName} holds secret values (${secret.join(', ')}), so nothing was applied: ` +
        'rendered manifests are kept in the state store, which is no place for them. Put them in a Secret in the cluster and read it with secretKeyRef in the overlay.',
    );
  return env;
}

/** The overlay rendered with the image pinned to `image` (kubectl's built-in kustomize). */
async function render(spec: ServiceSpec, image: string | undefined, ctx: RuntimeContext): Promise<string> {
  const overlay = join(ctx.workspaceRoot, ctx.project.root, spec.manifests.replaceAll('{environment}', ctx.envName));
  let dir = overlay;
  if (image) {
    dir = join(workDir(ctx), 'pinned');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      pinnedKustomization(relative(dir, overlay), spec.manifestImage ?? nameSlug(ctx.project.name), image),
    );
  }
  const res = await ctx.runner.run(kustomizeBuild(dir), { quiet: true }).catch((err: Error) => {
    throw new UserError(`${ctx.project.name}: could not render the overlay ${overlay} (rollout option manifests): ${err.message}`);
  });
  return res.stdout;
}

/**
 * Runtime `kubernetes`: the environment's kustomize overlay rendered with the image pinned to the
 * pushed digest, applied, and waited for with `kubectl rollout status`. The manifests live before
 * are kept (in the state store) as the previous ones: a failed roll-out, or a later failed step,
 * applies them again.
 */
export const kubernetesRuntime: Runtime = {
  name: 'kubernetes',

  async previous(ctx) {
    const previous = await ctx.blobs.get(blob(ctx, 'previous'));
    if (!previous) return { problem: 'no earlier roll-out is kept (it was never replaced, or was already restored)' };
    const image = imageOf(previous);
    if (!image) return { problem: `the previous manifests (${blob(ctx, 'previous')}) name no image` };
    if (!(await imageServed(image, ctx.env.containers, ctx.environ)))
      return { problem: `its image ${image} is gone from the registry (the cluster could not pull it)` };
    return { version: image.split('@')[1]?.slice(0, 19) ?? image, what: `the previous manifests with ${image}`, names: [image] };
  },

  plan(spec, ctx) {
    const overlay = spec.manifests.replaceAll('{environment}', ctx.envName);
    const validate = ctx.env.kubernetes?.validate ?? true;
    return [
      {
        title: `render ${overlay} with the image pinned to the pushed digest; APP_VERSION, GIT_SHA and the roll-out's env set on each container`,
        command: kustomizeBuild('<pinned kustomization>'),
      },
      { title: 'check that the Secrets the manifests read exist with their keys; create missing namespaces' },
      {
        title: 'validate every object with the API server, changing nothing',
        command: kubectlApply('<rendered manifests>', { validate, dryRun: true }),
      },
      { title: 'apply', command: kubectlApply('<rendered manifests>', { validate }) },
      {
        title: 'wait for each Deployment (a pod that cannot pull its image, start or stay up ends the wait at once)',
        command: kubectlRolloutStatus({ name: '<name>', namespace: '<namespace>' }, spec.rolloutTimeoutMs),
      },
      { title: `check ${spec.health.path} of each new pod through a port-forward, reporting this version and commit` },
      { title: 'if it does not complete, or a later step fails: apply the previous manifests again and check their pods' },
    ];
  },

  async preflight(spec, ctx) {
    // Before any step runs: the Secrets the overlay reads (the image is not pinned yet; it does not change them).
    await checkSecrets(parseManifests(await render(spec, undefined, ctx)), ctx);
  },

  async start(spec, ctx) {
    if (!spec.image) throw new UserError(`${ctx.project.name}: no image to run`);
    const env = podEnv(spec, ctx);
    const objects = parseManifests(await render(spec, spec.image, ctx));
    // Rendered manifests are kept in the state store for a rollback: no secret value may be among them.
    const secrets = objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata?.name ?? '(unnamed)');
    if (secrets.length)
      throw new UserError(
        `${ctx.project.name}: the manifests of ${ctx.envName} hold Secret objects (${secrets.join(', ')}), so nothing was applied: ` +
          'rendered manifests are kept in the state store, which is no place for secret values. Create the Secret in the cluster out of band (or with an external secrets operator) and keep only the reference (secretKeyRef) in the overlay.',
      );
    // The cluster's own rolling update must never leave the service without a ready pod.
    const gaps = rolloutGaps(objects);
    if (gaps.length)
      throw new UserError(
        `${ctx.project.name}: the manifests of ${ctx.envName} could drop requests during a roll-out, so nothing was applied:\n  ${gaps.join('\n  ')}\n` +
          'Give each Deployment strategy.rollingUpdate.maxUnavailable: 0 and each container a readinessProbe.',
      );
    const portless = workloadsOf(objects).filter((w) => !w.port);
    if (portless.length)
      throw new UserError(
        `${ctx.project.name}: the manifests of ${ctx.envName} give ${portless.map((w) => `Deployment ${w.name}`).join(', ')} no containerPort on the first container, so nothing was applied: ` +
          "the roll-out checks each new pod's health (deploy.json healthPath) through that port. Declare it under ports.",
      );
    await checkSecrets(objects, ctx);
    await ensureNamespaces(objects, ctx);
    const rendered = withContainerEnv(objects, env);
    const current = await ctx.blobs.get(blob(ctx, 'current'));
    mkdirSync(workDir(ctx), { recursive: true, mode: 0o700 });
    const file = join(workDir(ctx), `${ctx.deployId}.yaml`);
    writeFileSync(file, rendered, { mode: 0o600 });
    // The API server validates every object first (a server-side dry run): one it refuses fails the
    // deploy here, in the server's own words, with nothing changed.
    await ctx.runner.run(kubectlApply(file, { validate: ctx.env.kubernetes?.validate ?? true, dryRun: true }));
    if (current) await ctx.blobs.put(blob(ctx, 'previous'), current);
    let reach: string | undefined;
    try {
      reach = await applyAndWait(rendered, `${ctx.deployId}.yaml`, spec, spec.identity, ctx);
    } catch (err) {
      const outcome = await safely(restorePrevious(spec, ctx));
      throw new FailedWithRollback(`${ctx.project.name}: the roll-out did not complete (${(err as Error).message.split('\n')[0]})`, outcome);
    }
    await ctx.blobs.put(blob(ctx, 'current'), rendered);
    ctx.log.info(`rolled out ${spec.image}`);
    return { artifact: spec.image, detail: `kubernetes: ${spec.image.split('@')[1]?.slice(0, 19)}`, ...(reach ? { checkAt: reach } : {}) };
  },

  restore: (spec, ctx) => safely(restorePrevious(spec, ctx)),
};
