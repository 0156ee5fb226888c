import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { composeDown, composeTool, composeUp, type RunEngine } from '../commands/image.ts';
import { RolledBack, UserError } from '../core/errors.ts';
import { probe, waitUntil } from '../core/http-probe.ts';
import { resolveEngine } from '../image/engine.ts';
import type { StepContext, StepResult } from './step.ts';

interface ComposeState {
  current?: string;
  previous?: string;
}

function statePath(ctx: StepContext): string {
  return join(ctx.stateDir, 'services', ctx.envName, `${ctx.project.name}.compose.json`);
}

function readState(ctx: StepContext): ComposeState {
  return existsSync(statePath(ctx)) ? (JSON.parse(readFileSync(statePath(ctx), 'utf8')) as ComposeState) : {};
}

function writeState(ctx: StepContext, state: ComposeState): void {
  mkdirSync(dirname(statePath(ctx)), { recursive: true });
  writeFileSync(statePath(ctx), JSON.stringify(state, null, 2));
}

/** The environment's compose file: docker-compose.<env>.yml (docker-compose.prod.yml for production). */
export function composeFile(ctx: StepContext, pattern: string): string {
  const dir = join(ctx.workspaceRoot, ctx.project.root);
  const candidates = [pattern.replaceAll('{environment}', ctx.envName), ...(ctx.envName === 'production' ? [pattern.replaceAll('{environment}', 'prod')] : [])];
  const found = candidates.find((c) => existsSync(join(dir, c)));
  if (!found) throw new UserError(`${ctx.project.name}: no compose file for ${ctx.envName} (looked for ${candidates.join(', ')} in ${ctx.project.root})`);
  return join(dir, found);
}

async function up(image: string, env: Record<string, string>, file: string, ctx: StepContext, healthUrl: string, startTimeoutMs: number): Promise<string | undefined> {
  const engine = (await resolveEngine(ctx.runner, ctx.env.containers?.engine, true)) as RunEngine;
  const plugin = engine === 'docker' && (await ctx.runner.run({ argv: ['docker', 'compose', 'version'] }, { quiet: true, allowFailure: true })).exitCode === 0;
  const tool = composeTool(engine, plugin);
  const project = `${ctx.project.name}-${ctx.envName}`.replace(/[^a-z0-9_-]/gi, '-').toLowerCase();
  // The image and the service's settings reach compose as environment variables it interpolates.
  const vars = { ...env, POD_IMAGE: image };
  await ctx.runner.run({ ...composeDown(tool, file, project), env: vars }, { allowFailure: true });
  await ctx.runner.run({ ...composeUp(tool, file, project), env: vars });
  return waitUntil(
    async () => {
      const res = await probe(healthUrl, { timeoutMs: 2_000 });
      return res.status === 200 ? undefined : `health answered ${res.status}`;
    },
    { deadlineMs: startTimeoutMs, intervalMs: 250 },
  );
}

/**
 * Runtime compose: the environment's compose file brought up with the pushed image pinned by
 * digest (POD_IMAGE), then the health check. The image that ran before is kept as `previous`: a
 * failed start or a later failed step brings the file up again with it.
 */
export async function rolloutCompose(env: Record<string, string>, pattern: string, healthUrl: string, startTimeoutMs: number, ctx: StepContext): Promise<StepResult> {
  const image = ctx.outputs['build-image']?.image;
  if (!image) throw new UserError(`${ctx.project.name}: a compose roll-out runs the image build-image pushed; run the whole deploy (nx run ${ctx.project.name}:deploy -c ${ctx.envName})`);
  const file = composeFile(ctx, pattern);
  const before = readState(ctx);
  const failure = await up(image, env, file, ctx, healthUrl, startTimeoutMs).catch((err: Error) => err.message.split('\n')[0]);
  writeState(ctx, { current: image, previous: before.current });
  if (failure) {
    const restored = await restoreCompose(env, pattern, healthUrl, startTimeoutMs, ctx);
    throw new RolledBack(`${ctx.project.name}: the new version did not become healthy at ${healthUrl} (${failure})`, restored);
  }
  return { url: healthUrl.replace(/\/[^/]*$/, ''), image, artifact: image, detail: `compose: ${image.split('@')[1]?.slice(0, 19)}` };
}

export async function restoreCompose(env: Record<string, string>, pattern: string, healthUrl: string, startTimeoutMs: number, ctx: StepContext): Promise<string> {
  const state = readState(ctx);
  if (!state.previous) return 'it was the first version here, so there is nothing to roll back to';
  const started = Date.now();
  const failure = await up(state.previous, env, composeFile(ctx, pattern), ctx, healthUrl, startTimeoutMs);
  writeState(ctx, { current: state.previous });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failure) return `rolled back to ${state.previous}, which is NOT healthy either (${failure}); look at it now`;
  ctx.log.info(`rolled back: previous version ${state.previous} healthy again ${seconds} s after the failure was detected`);
  return `rolled back to the previous version ${state.previous} (healthy again in ${seconds} s)`;
}
