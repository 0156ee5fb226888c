import { healthPathHint } from '../config/services.ts';
import {
  containerLogs,
  inspectContainers,
  loginRegistry,
  pullImage,
  removeContainer,
  runContainer,
  startContainers,
  stopContainers,
  type RunEngine,
} from '../commands/image.ts';
import { UserError } from '../core/errors.ts';
import { FailedWithRollback, nothingToRestore, restored, restoreFailed, type RollbackOutcome } from '../core/rollback.ts';
import { registryScheme, resolveEngine } from '../image/engine.ts';
import { pullOnHost } from '../image/pull.ts';
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

interface ContainerRun {
  name: string;
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

/** The container serving now and the one before it (stopped, kept for a rollback). */
interface ContainerState {
  engine: RunEngine;
  current: ContainerRun;
  previous: ContainerRun;
  /** While a roll-out runs: the one before `previous`, removed once the new version is healthy, kept again if it never is. */
  earlier: ContainerRun;
}

type PrivateContainer = ContainerRun & PrivateRun;

/** One blob per service and environment, and per server where it runs on servers. */
const state = (ctx: RuntimeContext) =>
  new ServiceState<ContainerState>(ctx.blobs, ctx.envName, ctx.project.name, 'container', ctx.host?.remote ? ctx.host.label : undefined);

async function engineOf(ctx: RuntimeContext): Promise<RunEngine> {
  return (await state(ctx).read()).engine ?? ((await resolveEngine(hostOf(ctx), ctx.env.containers?.engine, true)) as RunEngine);
}

async function healthy(
  engine: RunEngine,
  run: ContainerRun,
  spec: ServiceSpec,
  ctx: RuntimeContext,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const host = hostOf(ctx);
  return waitHealthy({
    signal,
    url: run.health ?? `${spec.url}${spec.health.path}`,
    ok: spec.health.ok,
    deadlineMs: spec.startTimeoutMs,
    expect: { version: run.version, gitSha: run.gitSha },
    gone: () => notRunning(engine, [run.name], host),
    owners: () => containerPids(engine, [run.name], host),
  });
}

/** The port must be free or held by the container serving now (checked where the deploy runs: a server's ports are its own). */
async function checkPort(spec: ServiceSpec, ctx: RuntimeContext): Promise<void> {
  // A server's ports are its own; behind a running proxy the address is the proxy's (one yet to start needs it free, or ours).
  if (ctx.host?.remote || (ctx.proxy && (await ctx.proxy.routes()))) return;
  const { engine, current } = await state(ctx).read();
  assertPortIsOurs(spec.url, engine && current ? await containerPids(engine, [current.name], hostOf(ctx)) : [], ctx);
}

/** Removes the version before the previous one, kept while a roll-out could still fail. */
async function settle(ctx: RuntimeContext): Promise<void> {
  const { earlier, ...kept } = await state(ctx).read();
  if (!earlier || !kept.engine) return;
  await hostOf(ctx).run(removeContainer(kept.engine, earlier.name), { quiet: true, allowFailure: true });
  await state(ctx).write(kept);
}

/** Removes the current container and starts the previous one again, checked healthy. */
async function restorePrevious(spec: ServiceSpec, ctx: RuntimeContext): Promise<RollbackOutcome> {
  const host = hostOf(ctx);
  const { engine, current, previous, earlier } = await state(ctx).read();
  if (!engine || !current) return nothingToRestore();
  await host.run(removeContainer(engine, current.name), { allowFailure: true });
  if (!previous) {
    await state(ctx).write({ engine });
    return nothingToRestore();
  }
  const started = Date.now();
  // A roll-out that failed leaves things as they were (its `earlier` is the previous one's previous); after a success, one version back is all there is.
  await state(ctx).write({ engine, current: previous, ...(earlier ? { previous: earlier } : {}) });
  const start = await host.run(startContainers(engine, [previous.name]), { allowFailure: true });
  const failure = start.exitCode !== 0 ? start.stderr.split('\n')[0] : await healthy(engine, previous, spec, ctx);
  if (failure) return restoreFailed(`started the previous container ${previous.name} (${previous.image}) again, but it is not healthy (${failure})`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  ctx.log.info(
    `rolled back${host.remote ? ` on ${host.label}` : ''}: previous version ${previous.image} healthy again ${seconds} s after the failure was detected`,
  );
  return restored(`${previous.version} (${previous.image})`, `healthy again in ${seconds} s`);
}

const runName = (ctx: RuntimeContext) => nameSlug(`${ctx.project.name}-${ctx.envName}-${ctx.deployId.split('-').at(-1)}`);

/** The container runtime's primitives for versions behind the proxy. */
const behindProxy: VersionOps<PrivateContainer> = {
  async launch(spec, at, ctx) {
    if (!spec.image) throw new UserError(`${ctx.project.name}: no image to run`);
    const host = hostOf(ctx);
    const engine = await engineOf(ctx);
    await pullOnHost(host, engine, spec.image, ctx.env.containers, ctx.environ);
    const run: PrivateContainer = {
      name: runName(ctx),
      image: spec.image,
      deployId: ctx.deployId,
      version: spec.identity.version ?? ctx.project.version,
      gitSha: spec.identity.gitSha ?? ctx.gitSha,
      health: `http://127.0.0.1:${at.port}${spec.health.path}`,
      ...at,
    };
    const env = { ...spec.env, HOST: '127.0.0.1', PORT: String(at.port) };
    const res = await host.runWithPrivateFile(
      'env',
      envFileText(env),
      (envFile) => runContainer(engine, run.name, run.image, envFile, { 'pod-protocol.deploy-id': ctx.deployId }),
      { allowFailure: true },
    );
    if (res.exitCode !== 0) {
      await host.run(removeContainer(engine, run.name), { quiet: true, allowFailure: true });
      throw new UserError(`${ctx.project.name}: the new container did not start (${(res.stderr || res.stdout).trim().split('\n').at(-1)})`);
    }
    return run;
  },
  notRunning: async (run, ctx) => notRunning(await engineOf(ctx), [run.name], hostOf(ctx)),
  stop: async (run, ctx) => void (await hostOf(ctx).run(stopContainers(await engineOf(ctx), [run.name]), { allowFailure: true })),
  async resume(run, ctx) {
    const res = await hostOf(ctx).run(startContainers(await engineOf(ctx), [run.name]), { allowFailure: true });
    return res.exitCode === 0 ? { run } : { problem: (res.stderr || res.stdout).trim().split('\n')[0] ?? `exit ${res.exitCode}` };
  },
  remove: async (run, ctx) => void (await hostOf(ctx).run(removeContainer(await engineOf(ctx), run.name), { allowFailure: true })),
  describe: (run) => `${run.version} (${run.image})`,
  async logs(run, ctx) {
    const res = await hostOf(ctx).run(containerLogs(await engineOf(ctx), run.name), { quiet: true, allowFailure: true });
    return `${res.stdout}\n${res.stderr}`.trim();
  },
  read: async (ctx) => (await state(ctx).read()) as Versions<PrivateContainer>,
  async write(versions, ctx) {
    await state(ctx).write({ engine: await engineOf(ctx), ...versions });
  },
};

/** An env file for --env-file: one KEY=value per line (a value's newlines would end it early). */
const envFileText = (env: Record<string, string>) =>
  Object.entries(env)
    .map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`)
    .join('\n') + '\n';

/**
 * Runtime `container`: one container of the pushed image (pinned by digest, pulled where it runs)
 * on the host network of this machine or of each server. The running one is stopped, not removed,
 * and kept as `previous`, so a rollback starts it again exactly as it ran (image and settings); the
 * one before that is removed once the whole deploy succeeded (settle). The settings go through a 0600 env file, removed as soon as the
 * container is created, never argv.
 */
export const containerRuntime: Runtime = {
  name: 'container',

  async serving(ctx) {
    const { current } = await state(ctx).read();
    return current ? `${current.version} (${current.image})` : 'nothing';
  },

  async previous(ctx) {
    const { engine, previous } = await state(ctx).read();
    if (!engine || !previous) return { problem: 'no earlier container is kept (it was never replaced, or was already restored)' };
    const kept = await hostOf(ctx).run(inspectContainers(engine, [previous.name]), { quiet: true, allowFailure: true });
    if (kept.exitCode !== 0) return { problem: `the container of ${previous.version} (${previous.name}) is gone from ${engine}` };
    return {
      version: previous.version,
      what: `${previous.version} (${previous.image}), container ${previous.name}`,
      names: [previous.version, previous.gitSha, previous.image],
    };
  },

  plan(spec, ctx) {
    // The engine is detected where it runs when deploy.json names none: docker is asked first.
    const engine = (ctx.env.containers?.engine ?? 'docker') as RunEngine;
    const c = ctx.env.containers;
    const image = spec.image ?? `${c?.registry ?? '<registry>'}/${nameSlug(ctx.project.name)}@<digest of this build>`;
    const insecure = c ? registryScheme(c.registry, c.insecure) === 'http' : false;
    const auth = c?.usernameVariable ? { authFile: '<private auth file>', dockerConfig: '<private config folder>' } : {};
    const name = `${nameSlug(`${ctx.project.name}-${ctx.envName}`)}-<deploy>`;
    const login = c?.usernameVariable
      ? [
          {
            title: `log in to ${c.registry} for this pull only: the password on standard input, the auth file removed after`,
            command: loginRegistry(engine, c.registry, `\${${c.usernameVariable}}`, '', {
              authFile: '<private auth file>',
              dockerConfig: '<private config folder>',
              insecure,
            }),
          },
        ]
      : [];
    const pull = { title: 'pull the pushed image by digest', command: pullImage(engine, image, { ...auth, insecure }) };
    const run = {
      title: `run it on the host network, its environment (${Object.keys(spec.env).join(', ')}) from a 0600 env file removed once it runs`,
      command: runContainer(engine, name, image, '<private env file>', { 'pod-protocol.deploy-id': '<deploy>' }),
    };
    const beside = planBeside(spec, ctx, [{ ...run, title: `${run.title}; PORT is the private port` }]);
    if (beside) return [...login, pull, ...beside];
    return [
      ...login,
      pull,
      { title: 'stop the running container (kept as previous, for a rollback)', command: stopContainers(engine, ['<running container>']) },
      run,
      {
        title: `wait until ${spec.url}${spec.health.path} answers ${spec.health.expects} from it; if not, or if a later step fails, start the previous container again`,
      },
    ];
  },

  preflight: checkPort,

  async start(spec, ctx) {
    if (ctx.proxy) {
      const { run, direct } = await startBeside(behindProxy, spec, ctx);
      return { url: spec.url, direct, artifact: run.image, detail: `${run.name} on 127.0.0.1:${run.port} beside the serving version` };
    }
    if (!spec.image) throw new UserError(`${ctx.project.name}: no image to run`);
    const host = hostOf(ctx);
    await checkPort(spec, ctx);
    const engine = await engineOf(ctx);
    await pullOnHost(host, engine, spec.image, ctx.env.containers, ctx.environ);
    // A deploy that ended before it settled (killed) left its `earlier`: it goes now.
    await settle(ctx);
    const before = await state(ctx).read();
    const run: ContainerRun = {
      name: runName(ctx),
      image: spec.image,
      deployId: ctx.deployId,
      version: spec.identity.version ?? ctx.project.version,
      gitSha: spec.identity.gitSha ?? ctx.gitSha,
      health: `${spec.url}${spec.health.path}`,
    };
    const envText = envFileText(spec.env);
    // Recorded before anything changes: a restore then knows both containers.
    await state(ctx).write({
      engine,
      current: run,
      ...(before.current ? { previous: before.current } : {}),
      ...(before.previous ? { earlier: before.previous } : {}),
    });
    try {
      if (before.current) await host.run(stopContainers(engine, [before.current.name]), { allowFailure: true });
      // The env file exists only while `run` creates the container (which keeps its environment).
      await host.runWithPrivateFile('env', envText, (envFile) =>
        runContainer(engine, run.name, run.image, envFile, { 'pod-protocol.deploy-id': ctx.deployId }),
      );
    } catch (err) {
      const outcome = await safely(restorePrevious(spec, ctx));
      throw new FailedWithRollback(`${ctx.project.name}: the new container did not start (${(err as Error).message.split('\n')[0]})`, outcome);
    }
    const failure = await healthy(engine, run, spec, ctx, ctx.signal);
    if (failure) {
      const logs = await host.run(containerLogs(engine, run.name), { quiet: true, allowFailure: true });
      ctx.log.warn(`the new container is not healthy (${failure}); its last log lines:\n${logs.stdout}\n${logs.stderr}`);
      const outcome = await safely(restorePrevious(spec, ctx));
      throw new FailedWithRollback(
        `${ctx.project.name}: the new version did not become healthy at ${spec.url}${spec.health.path} (${failure}).${healthPathHint(ctx, spec.health)}`,
        outcome,
      );
    }
    return { url: spec.url, artifact: run.image, detail: `${run.name} running ${run.image.split('@')[1]?.slice(0, 19) ?? run.image}` };
  },

  restore: (spec, ctx) => safely(ctx.proxy ? restoreBehind(behindProxy, spec, ctx, ctx.proxy) : restorePrevious(spec, ctx)),

  settle: (ctx) => (ctx.proxy ? settleBehind(behindProxy, ctx, ctx.keepPreviousWarm ?? false) : settle(ctx)),

  shift: (ctx, weight) => shift(behindProxy, ctx.proxy!, weight, ctx),

  async stopPrevious(ctx) {
    const { previous } = await behindProxy.read(ctx);
    if (previous) await behindProxy.stop(previous, ctx);
  },
};
