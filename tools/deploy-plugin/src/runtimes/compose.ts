import { healthPathHint } from '../config/services.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  composeDown,
  containerLogs,
  composeProjectContainers,
  composeUp,
  startContainers,
  stopContainers,
  type RunEngine,
} from '../commands/image.ts';
import { RUN_ENGINES } from '../commands/engines.ts';
import { UserError } from '../core/errors.ts';
import { FailedWithRollback, nothingToRestore, restored, restoreFailed, type RollbackOutcome } from '../core/rollback.ts';
import { resolveEngine } from '../image/engine.ts';
import { pullOnHost } from '../image/pull.ts';
import { removePaths, writePrivateFile } from '../commands/ssh.ts';
import { ServiceState } from '../store/service-state.ts';
import { containerPids, notRunning } from './engine-state.ts';
import { waitHealthy } from './health.ts';
import { assertPortIsOurs } from './port-guard.ts';
import { hostOf, type Runtime, type ServiceSpec } from './runtime.ts';
import type { RuntimeContext } from './runtime.ts';
import { safely } from './safely.ts';
import { planBeside, restoreBehind, settleBehind, shift, startBeside, type PrivateRun, type VersionOps, type Versions } from './behind-proxy.ts';
import type { Slot } from '../commands/haproxy.ts';
import { nameSlug } from '../core/names.ts';

/** One version brought up from the compose file: a compose project of its own. */
interface ComposeRun {
  project: string;
  /** The compose file where compose reads it: in the workspace, or its copy on the server. */
  file: string;
  image: string;
  deployId: string;
  version: string;
  gitSha: string;
  /** Its health URL as it was deployed: a rollback checks the previous version where it answered. */
  health: string;
  /** Behind the proxy: its slot and private port (without: it listened on the service's own port). */
  slot?: Slot;
  port?: number;
}

type PrivateCompose = ComposeRun & PrivateRun;

interface ComposeState {
  engine: RunEngine;
  tool: string[];
  current: ComposeRun;
  previous: ComposeRun;
  /** While a roll-out runs: the one before `previous`, taken down once the new version is healthy, kept again if it never is. */
  earlier: ComposeRun;
}

const state = (ctx: RuntimeContext) =>
  new ServiceState<ComposeState>(ctx.blobs, ctx.envName, ctx.project.name, 'compose', ctx.host?.remote ? ctx.host.label : undefined);

/** The environment's compose file: docker-compose.<env>.yml (docker-compose.prod.yml for production). */
export function composeFile(ctx: RuntimeContext, pattern: string): string {
  const dir = join(ctx.workspaceRoot, ctx.project.root);
  const candidates = [
    pattern.replaceAll('{environment}', ctx.envName),
    ...(ctx.envName === 'production' ? [pattern.replaceAll('{environment}', 'prod')] : []),
  ];
  const found = candidates.find((c) => existsSync(join(dir, c)));
  if (!found)
    throw new UserError(`${ctx.project.name}: no compose file for ${ctx.envName} (looked for ${candidates.join(', ')} in ${ctx.project.root})`);
  return join(dir, found);
}

async function containersOf(engine: RunEngine, run: ComposeRun, ctx: RuntimeContext): Promise<string[]> {
  const res = await hostOf(ctx).run(composeProjectContainers(engine, run.project), { quiet: true, allowFailure: true });
  return res.stdout.split('\n').filter(Boolean);
}

async function healthy(
  engine: RunEngine,
  run: ComposeRun,
  spec: ServiceSpec,
  ctx: RuntimeContext,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const ids = await containersOf(engine, run, ctx);
  const host = hostOf(ctx);
  return waitHealthy({
    signal,
    url: run.health ?? `${spec.url}${spec.health.path}`,
    ok: spec.health.ok,
    deadlineMs: spec.startTimeoutMs,
    expect: { version: run.version, gitSha: run.gitSha },
    gone: async () => (ids.length ? notRunning(engine, ids, host) : 'compose started no container'),
    owners: () => containerPids(engine, ids, host),
  });
}

/** The port must be free or held by the compose project serving now (checked where the deploy runs: a server's ports are its own). */
async function checkPort(spec: ServiceSpec, ctx: RuntimeContext): Promise<void> {
  // A server's ports are its own; behind a running proxy the address is the proxy's (one yet to start needs it free, or ours).
  if (ctx.host?.remote || (ctx.proxy && (await ctx.proxy.routes()))) return;
  const { engine, current } = await state(ctx).read();
  const owners = engine && current ? await containerPids(engine, await containersOf(engine, current, ctx), hostOf(ctx)) : [];
  assertPortIsOurs(spec.url, owners, ctx);
}

/** Removes a version's containers (compose reads POD_IMAGE from its file, so it gets the recorded one). */
async function down(s: Partial<ComposeState>, run: ComposeRun, ctx: RuntimeContext): Promise<void> {
  const host = hostOf(ctx);
  const res = await host.run({ ...composeDown(s.tool!, run.file, run.project), env: { POD_IMAGE: run.image } }, { allowFailure: true });
  // A server's copy of the compose file goes with its project.
  if (res.exitCode === 0 && host.remote) await host.run(removePaths([run.file]), { quiet: true, allowFailure: true });
}

/** Takes down the version before the previous one, kept while a roll-out could still fail. */
async function settle(ctx: RuntimeContext): Promise<void> {
  const { earlier, ...kept } = await state(ctx).read();
  if (!earlier || !kept.tool) return;
  await down(kept, earlier, ctx);
  await state(ctx).write(kept);
}

/** Removes the current version and starts the previous one's containers again: its image and settings as they ran. */
async function restorePrevious(spec: ServiceSpec, ctx: RuntimeContext): Promise<RollbackOutcome> {
  const s = await state(ctx).read();
  if (!s.engine || !s.current) return nothingToRestore();
  await down(s, s.current, ctx);
  if (!s.previous) {
    await state(ctx).write({ engine: s.engine, tool: s.tool });
    return nothingToRestore();
  }
  const started = Date.now();
  // A roll-out that failed leaves things as they were; after a success, one version back is all there is.
  await state(ctx).write({ engine: s.engine, tool: s.tool, current: s.previous, ...(s.earlier ? { previous: s.earlier } : {}) });
  const ids = await containersOf(s.engine, s.previous, ctx);
  const start = ids.length ? await hostOf(ctx).run(startContainers(s.engine, ids), { allowFailure: true }) : undefined;
  const failure = !start
    ? `its containers (compose project ${s.previous.project}) are gone`
    : start.exitCode !== 0
      ? start.stderr.split('\n')[0]
      : await healthy(s.engine, s.previous, spec, ctx);
  if (failure) return restoreFailed(`started compose project ${s.previous.project} (${s.previous.image}) again, but it is not healthy (${failure})`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  ctx.log.info(
    `rolled back${ctx.host?.remote ? ` on ${ctx.host.label}` : ''}: previous version ${s.previous.image} healthy again ${seconds} s after the failure was detected`,
  );
  return restored(`${s.previous.version} (${s.previous.image})`, `healthy again in ${seconds} s`);
}

/**
 * What every new version needs before it starts: the engine and compose tool of the host (kept from
 * before), the image pulled there, a copy of the compose file on a server, its compose project.
 */
async function prepare(spec: ServiceSpec, ctx: RuntimeContext, health: string): Promise<{ engine: RunEngine; tool: string[]; run: ComposeRun }> {
  if (!spec.image) throw new UserError(`${ctx.project.name}: no image to run`);
  const host = hostOf(ctx);
  const local = composeFile(ctx, spec.composeFile);
  const before = await state(ctx).read();
  const engine = before.engine ?? ((await resolveEngine(host, ctx.env.containers?.engine, true)) as RunEngine);
  const compose = RUN_ENGINES[engine].compose;
  const tool =
    before.tool ?? compose.tool(compose.probe !== undefined && (await host.run(compose.probe, { quiet: true, allowFailure: true })).exitCode === 0);
  await pullOnHost(host, engine, spec.image, ctx.env.containers, ctx.environ);
  // Compose project names take no dots.
  const project = nameSlug(`${ctx.project.name}-${ctx.envName}-${ctx.deployId.split('-').at(-1)}`).replace(/\./g, '-');
  // A server gets its own copy of the file, kept (relative to the login's home) until its project is taken down.
  const file = host.remote ? `.nx-deploy/compose/${project}.yml` : local;
  if (host.remote) await host.run(writePrivateFile(file, readFileSync(local, 'utf8')), { quiet: true });
  const run: ComposeRun = {
    project,
    file,
    image: spec.image,
    deployId: ctx.deployId,
    version: spec.identity.version ?? ctx.project.version,
    gitSha: spec.identity.gitSha ?? ctx.gitSha,
    health,
  };
  return { engine, tool, run };
}

/** The compose runtime's primitives for versions behind the proxy. */
const behindProxy: VersionOps<PrivateCompose> = {
  async launch(spec, at, ctx) {
    const { engine, tool, run: prepared } = await prepare(spec, ctx, `http://127.0.0.1:${at.port}${spec.health.path}`);
    const run: PrivateCompose = { ...prepared, ...at };
    const env = { ...spec.env, HOST: '127.0.0.1', PORT: String(at.port), POD_IMAGE: run.image };
    const up = await hostOf(ctx).run({ ...composeUp(tool, run.file, run.project), env }, { allowFailure: true });
    if (up.exitCode !== 0) {
      await down({ tool }, run, ctx);
      throw new UserError(`${ctx.project.name}: compose could not bring ${run.project} up (${(up.stderr || up.stdout).trim().split('\n').at(-1)})`);
    }
    const before = await state(ctx).read();
    await state(ctx).write({ ...before, engine, tool });
    return run;
  },
  async notRunning(run, ctx) {
    const { engine } = await state(ctx).read();
    const ids = await containersOf(engine!, run, ctx);
    return ids.length ? notRunning(engine!, ids, hostOf(ctx)) : `its containers (compose project ${run.project}) are gone`;
  },
  async stop(run, ctx) {
    const { engine } = await state(ctx).read();
    const ids = await containersOf(engine!, run, ctx);
    if (ids.length) await hostOf(ctx).run(stopContainers(engine!, ids), { allowFailure: true });
  },
  async resume(run, ctx) {
    const { engine } = await state(ctx).read();
    const ids = await containersOf(engine!, run, ctx);
    if (!ids.length) return { problem: `its containers (compose project ${run.project}) are gone` };
    const res = await hostOf(ctx).run(startContainers(engine!, ids), { allowFailure: true });
    return res.exitCode === 0 ? { run } : { problem: (res.stderr || res.stdout).trim().split('\n')[0] ?? `exit ${res.exitCode}` };
  },
  remove: async (run, ctx) => down(await state(ctx).read(), run, ctx),
  describe: (run) => `${run.version} (${run.image})`,
  async logs(run, ctx) {
    const { engine } = await state(ctx).read();
    const [id] = await containersOf(engine!, run, ctx);
    if (!id) return '(no container)';
    const res = await hostOf(ctx).run(containerLogs(engine!, id), { quiet: true, allowFailure: true });
    return `${res.stdout}\n${res.stderr}`.trim();
  },
  read: async (ctx) => (await state(ctx).read()) as Versions<PrivateCompose>,
  async write(versions, ctx) {
    const { engine, tool } = await state(ctx).read();
    await state(ctx).write({ engine, tool, ...versions });
  },
};

/**
 * Runtime `compose`: the environment's compose file brought up with the pushed image pinned by
 * digest (POD_IMAGE) and the service's settings as environment variables, as a compose project
 * of its own per deploy. The version before is stopped, not removed, so a rollback starts its
 * containers again: the previous image with the previous settings.
 */
export const composeRuntime: Runtime = {
  name: 'compose',

  async serving(ctx) {
    const { current } = await state(ctx).read();
    return current ? `${current.version} (${current.image})` : 'nothing';
  },

  async previous(ctx) {
    const { engine, previous } = await state(ctx).read();
    if (!engine || !previous) return { problem: 'no earlier compose project is kept (it was never replaced, or was already restored)' };
    if (!(await containersOf(engine, previous, ctx)).length)
      return { problem: `the containers of ${previous.version} (compose project ${previous.project}) are gone from ${engine}` };
    return {
      version: previous.version,
      what: `${previous.version} (${previous.image}), compose project ${previous.project}`,
      names: [previous.version, previous.gitSha, previous.image],
    };
  },

  plan(spec, ctx) {
    const pull = { title: `pull the pushed image by digest, logged in for the pull only when the registry needs it` };
    const up = {
      title: `bring ${spec.composeFile} up as a new compose project with POD_IMAGE = the pushed image by digest; service settings (${Object.keys(spec.env).join(', ')}) as environment variables`,
    };
    const beside = planBeside(spec, ctx, [{ title: `${up.title}, PORT the private port` }]);
    if (beside) return [pull, ...beside];
    return [
      pull,
      { title: `stop the running compose project (kept, for a rollback)` },
      up,
      {
        title: `wait until ${spec.url}${spec.health.path} answers ${spec.health.expects} from it; if not, or if a later step fails, start the previous project's containers again`,
      },
    ];
  },

  preflight: checkPort,

  async start(spec, ctx) {
    if (ctx.proxy) {
      const { run, direct } = await startBeside(behindProxy, spec, ctx);
      return { url: spec.url, direct, artifact: run.image, detail: `compose ${run.project} on 127.0.0.1:${run.port} beside the serving version` };
    }
    await checkPort(spec, ctx);
    // A deploy that ended before it settled (killed) left its `earlier`: it goes now.
    await settle(ctx);
    const host = hostOf(ctx);
    const before = await state(ctx).read();
    const { engine, tool, run } = await prepare(spec, ctx, `${spec.url}${spec.health.path}`);
    // Recorded before anything changes: a restore then knows both versions.
    await state(ctx).write({
      engine,
      tool,
      current: run,
      ...(before.current ? { previous: before.current } : {}),
      ...(before.previous ? { earlier: before.previous } : {}),
    });
    if (before.current) {
      const ids = await containersOf(engine, before.current, ctx);
      if (ids.length) await host.run(stopContainers(engine, ids), { allowFailure: true });
    }
    const failure = await host
      .run({ ...composeUp(tool, run.file, run.project), env: { ...spec.env, POD_IMAGE: run.image } })
      .then(() => healthy(engine, run, spec, ctx, ctx.signal))
      .catch((err: Error) => err.message.split('\n')[0]);
    if (failure) {
      const outcome = await safely(restorePrevious(spec, ctx));
      throw new FailedWithRollback(
        `${ctx.project.name}: the new version did not become healthy at ${spec.url}${spec.health.path} (${failure}).${healthPathHint(ctx, spec.health)}`,
        outcome,
      );
    }
    return { url: spec.url, artifact: run.image, detail: `compose ${run.project}: ${run.image.split('@')[1]?.slice(0, 19)}` };
  },

  restore: (spec, ctx) => safely(ctx.proxy ? restoreBehind(behindProxy, spec, ctx, ctx.proxy) : restorePrevious(spec, ctx)),

  settle: (ctx) => (ctx.proxy ? settleBehind(behindProxy, ctx, ctx.keepPreviousWarm ?? false) : settle(ctx)),

  shift: (ctx, weight) => shift(behindProxy, ctx.proxy!, weight, ctx),

  async stopPrevious(ctx) {
    const { previous } = await behindProxy.read(ctx);
    if (previous) await behindProxy.stop(previous, ctx);
  },
};
