import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { containerLogs, containerState, removeContainer, runContainer, startContainer, stopContainer, type RunEngine } from '../commands/image.ts';
import { RolledBack, UserError } from '../core/errors.ts';
import { probe, waitUntil } from '../core/http-probe.ts';
import { resolveEngine } from '../image/engine.ts';
import type { StepContext, StepResult } from './step.ts';

/** The containers of a service in an environment: the one serving, and the one before it. */
export interface ContainerState {
  engine: RunEngine;
  current?: { name: string; image: string; deployId: string };
  previous?: { name: string; image: string; deployId: string };
}

function statePath(ctx: StepContext): string {
  return join(ctx.stateDir, 'services', ctx.envName, `${ctx.project.name}.container.json`);
}

function readState(ctx: StepContext): ContainerState | undefined {
  const path = statePath(ctx);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ContainerState) : undefined;
}

function writeState(ctx: StepContext, state: ContainerState): void {
  mkdirSync(dirname(statePath(ctx)), { recursive: true });
  writeFileSync(statePath(ctx), JSON.stringify(state, null, 2));
}

/** Waits for the health URL; stops waiting as soon as the container is no longer running. */
async function healthy(url: string, deadlineMs: number, container: { engine: RunEngine; name: string; ctx: StepContext }): Promise<string | undefined> {
  return waitUntil(
    async () => {
      const res = await probe(url, { timeoutMs: 2_000 });
      return res.status === 200 ? undefined : `health answered ${res.status}`;
    },
    {
      deadlineMs,
      intervalMs: 250,
      giveUp: async () => {
        const res = await container.ctx.runner.run(containerState(container.engine, container.name), { quiet: true, allowFailure: true });
        const state = res.stdout.trim();
        return res.exitCode === 0 && state !== 'running' && state !== 'created' ? `the container is ${state}` : undefined;
      },
    },
  );
}

/**
 * Replaces the running container with one from the pushed image (pinned by digest): the current
 * one is stopped, not removed, and kept as `previous` so a rollback re-points to it; the one
 * before that is removed. Environment variables go through a 0600 env file, never argv.
 */
export async function rolloutContainer(env: Record<string, string>, healthUrl: string, startTimeoutMs: number, ctx: StepContext): Promise<StepResult> {
  const image = ctx.outputs['build-image']?.image;
  if (!image) throw new UserError(`${ctx.project.name}: a container roll-out runs the image build-image pushed; run the whole deploy (nx run ${ctx.project.name}:deploy -c ${ctx.envName})`);
  const before = readState(ctx);
  const engine = (before?.engine ?? (await resolveEngine(ctx.runner, ctx.env.containers?.engine, true))) as RunEngine;
  const name = `${ctx.project.name}-${ctx.envName}-${ctx.deployId.split('-').at(-1)}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
  const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-env-'));
  const envFile = join(dir, 'env');
  writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`).join('\n') + '\n', { mode: 0o600 });
  try {
    if (before?.current) await ctx.runner.run(stopContainer(engine, before.current.name), { allowFailure: true });
    await ctx.runner.run(runContainer(engine, name, image, envFile, { 'pod-protocol.deploy-id': ctx.deployId }));
  } catch (err) {
    // The new container could not even start: the old one serves again.
    if (!before?.current) throw err;
    await ctx.runner.run(removeContainer(engine, name), { quiet: true, allowFailure: true });
    await ctx.runner.run(startContainer(engine, before.current.name));
    throw new RolledBack(`${ctx.project.name}: the new container did not start (${(err as Error).message.split('\n')[0]})`, `the previous container ${before.current.name} was started again`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const failure = await healthy(healthUrl, startTimeoutMs, { engine, name, ctx });
  const next: ContainerState = { engine, current: { name, image, deployId: ctx.deployId }, previous: before?.current };
  if (failure) {
    const logs = await ctx.runner.run(containerLogs(engine, name), { quiet: true, allowFailure: true });
    ctx.log.warn(`the new container is not healthy (${failure}); its last log lines:\n${logs.stdout}\n${logs.stderr}`);
    writeState(ctx, next);
    const restored = await restorePrevious(ctx, startTimeoutMs, healthUrl);
    throw new RolledBack(`${ctx.project.name}: the new version did not become healthy at ${healthUrl} (${failure})`, restored);
  }
  if (before?.previous) await ctx.runner.run(removeContainer(engine, before.previous.name), { quiet: true, allowFailure: true });
  writeState(ctx, next);
  return { url: healthUrl.replace(/\/[^/]*$/, ''), artifact: image, image, detail: `${name} running ${image.split('@')[1]?.slice(0, 19) ?? image}` };
}

/** Puts the previous container back and waits until it is healthy; says what happened and how long it took. */
export async function restorePrevious(ctx: StepContext, startTimeoutMs: number, healthUrl: string): Promise<string> {
  const state = readState(ctx);
  const started = Date.now();
  if (!state?.current) return 'nothing was running before, so there is nothing to roll back to';
  await ctx.runner.run(removeContainer(state.engine, state.current.name), { allowFailure: true });
  if (!state.previous) {
    writeState(ctx, { engine: state.engine });
    return 'it was the first version here, so it was removed and nothing runs now';
  }
  await ctx.runner.run(startContainer(state.engine, state.previous.name));
  const failure = await healthy(healthUrl, startTimeoutMs, { engine: state.engine, name: state.previous.name, ctx });
  writeState(ctx, { engine: state.engine, current: state.previous });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failure) return `rolled back to ${state.previous.image}, which is NOT healthy either (${failure}); look at it now`;
  ctx.log.info(`rolled back: previous version ${state.previous.image} healthy again ${seconds} s after the failure was detected`);
  return `rolled back to the previous version ${state.previous.image} (healthy again in ${seconds} s)`;
}
