import { healthPathHint } from '../config/services.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  containerLogs,
  inspectContainers,
  removeContainer,
  runContainer,
  startContainers,
  stopContainers,
  type RunEngine,
} from '../commands/image.ts';
import { UserError } from '../core/errors.ts';
import { FailedWithRollback, nothingToRestore, restored, restoreFailed, type RollbackOutcome } from '../core/rollback.ts';
import { resolveEngine } from '../image/engine.ts';
import { ServiceState } from '../store/service-state.ts';
import { containerPids, notRunning } from './engine-state.ts';
import { waitHealthy } from './health.ts';
import { assertPortIsOurs } from './port-guard.ts';
import type { Runtime, ServiceSpec } from './runtime.ts';
import type { RuntimeContext } from './runtime.ts';
import { safely } from './safely.ts';
import { nameSlug } from '../core/names.ts';

interface ContainerRun {
  name: string;
  image: string;
  deployId: string;
  version: string;
  gitSha: string;
  /** Its health URL as it was deployed: a rollback checks the previous version where it answered. */
  health: string;
}

/** The container serving now and the one before it (stopped, kept for a rollback). */
interface ContainerState {
  engine: RunEngine;
  current: ContainerRun;
  previous: ContainerRun;
}

const state = (ctx: RuntimeContext) => new ServiceState<ContainerState>(ctx.blobs, ctx.envName, ctx.project.name, 'container');

async function engineOf(ctx: RuntimeContext): Promise<RunEngine> {
  return (await state(ctx).read()).engine ?? ((await resolveEngine(ctx.runner, ctx.env.containers?.engine, true)) as RunEngine);
}

async function healthy(
  engine: RunEngine,
  run: ContainerRun,
  spec: ServiceSpec,
  ctx: RuntimeContext,
  signal?: AbortSignal,
): Promise<string | undefined> {
  return waitHealthy({
    signal,
    url: run.health ?? `${spec.url}${spec.health.path}`,
    ok: spec.health.ok,
    deadlineMs: spec.startTimeoutMs,
    expect: { version: run.version, gitSha: run.gitSha },
    gone: () => notRunning(engine, [run.name], ctx),
    owners: () => containerPids(engine, [run.name], ctx),
  });
}

/** The port must be free or held by the container serving now. */
async function checkPort(spec: ServiceSpec, ctx: RuntimeContext): Promise<void> {
  const { engine, current } = await state(ctx).read();
  assertPortIsOurs(spec.url, engine && current ? await containerPids(engine, [current.name], ctx) : [], ctx);
}

/** Removes the current container and starts the previous one again, checked healthy. */
async function restorePrevious(spec: ServiceSpec, ctx: RuntimeContext): Promise<RollbackOutcome> {
  const { engine, current, previous } = await state(ctx).read();
  if (!engine || !current) return nothingToRestore();
  await ctx.runner.run(removeContainer(engine, current.name), { allowFailure: true });
  if (!previous) {
    await state(ctx).write({ engine });
    return nothingToRestore();
  }
  const started = Date.now();
  await state(ctx).write({ engine, current: previous });
  const start = await ctx.runner.run(startContainers(engine, [previous.name]), { allowFailure: true });
  const failure = start.exitCode !== 0 ? start.stderr.split('\n')[0] : await healthy(engine, previous, spec, ctx);
  if (failure) return restoreFailed(`started the previous container ${previous.name} (${previous.image}) again, but it is not healthy (${failure})`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  ctx.log.info(`rolled back: previous version ${previous.image} healthy again ${seconds} s after the failure was detected`);
  return restored(`${previous.version} (${previous.image})`, `healthy again in ${seconds} s`);
}

/**
 * Runtime `container`: one container of the pushed image (pinned by digest) on the host network.
 * The running one is stopped, not removed, and kept as `previous`, so a rollback starts it again
 * exactly as it ran (image and settings); the one before that is removed. The settings go
 * through a 0600 env file, never argv.
 */
export const containerRuntime: Runtime = {
  name: 'container',

  async previous(ctx) {
    const { engine, previous } = await state(ctx).read();
    if (!engine || !previous) return { problem: 'no earlier container is kept (it was never replaced, or was already restored)' };
    const kept = await ctx.runner.run(inspectContainers(engine, [previous.name]), { quiet: true, allowFailure: true });
    if (kept.exitCode !== 0) return { problem: `the container of ${previous.version} (${previous.name}) is gone from ${engine}` };
    return {
      version: previous.version,
      what: `${previous.version} (${previous.image}), container ${previous.name}`,
      names: [previous.version, previous.gitSha, previous.image],
    };
  },
  needsImage: true,

  plan(spec) {
    return [
      { title: 'stop the running container (kept as previous, for a rollback)' },
      { title: `run the pushed image by digest on the host network, its environment (${Object.keys(spec.env).join(', ')}) from a 0600 env file` },
      {
        title: `wait until ${spec.url}${spec.health.path} answers ${spec.health.expects} from it; if not, or if a later step fails, start the previous container again`,
      },
    ];
  },

  preflight: checkPort,

  async start(spec, ctx) {
    if (!spec.image) throw new UserError(`${ctx.project.name}: no image to run`);
    await checkPort(spec, ctx);
    const engine = await engineOf(ctx);
    const before = await state(ctx).read();
    const run: ContainerRun = {
      name: nameSlug(`${ctx.project.name}-${ctx.envName}-${ctx.deployId.split('-').at(-1)}`),
      image: spec.image,
      deployId: ctx.deployId,
      version: spec.identity.version ?? ctx.project.version,
      gitSha: spec.identity.gitSha ?? ctx.gitSha,
      health: `${spec.url}${spec.health.path}`,
    };
    const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-env-'));
    const envFile = join(dir, 'env');
    writeFileSync(
      envFile,
      Object.entries(spec.env)
        .map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    try {
      // Recorded before anything changes: a restore then knows both containers.
      await state(ctx).write({ engine, current: run, ...(before.current ? { previous: before.current } : {}) });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    try {
      if (before.current) await ctx.runner.run(stopContainers(engine, [before.current.name]), { allowFailure: true });
      await ctx.runner.run(runContainer(engine, run.name, run.image, envFile, { 'pod-protocol.deploy-id': ctx.deployId }));
    } catch (err) {
      const outcome = await safely(restorePrevious(spec, ctx));
      throw new FailedWithRollback(`${ctx.project.name}: the new container did not start (${(err as Error).message.split('\n')[0]})`, outcome);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const failure = await healthy(engine, run, spec, ctx, ctx.signal);
    if (failure) {
      const logs = await ctx.runner.run(containerLogs(engine, run.name), { quiet: true, allowFailure: true });
      ctx.log.warn(`the new container is not healthy (${failure}); its last log lines:\n${logs.stdout}\n${logs.stderr}`);
      const outcome = await safely(restorePrevious(spec, ctx));
      throw new FailedWithRollback(
        `${ctx.project.name}: the new version did not become healthy at ${spec.url}${spec.health.path} (${failure}).${healthPathHint(ctx, spec.health)}`,
        outcome,
      );
    }
    if (before.previous) await ctx.runner.run(removeContainer(engine, before.previous.name), { quiet: true, allowFailure: true });
    return { url: spec.url, artifact: run.image, detail: `${run.name} running ${run.image.split('@')[1]?.slice(0, 19) ?? run.image}` };
  },

  restore: (spec, ctx) => safely(restorePrevious(spec, ctx)),
};
