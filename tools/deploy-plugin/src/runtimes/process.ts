import { healthPathHint } from '../config/services.ts';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { supervised } from '../commands/supervise.ts';
import { UserError } from '../core/errors.ts';
import { commandLineOf, isAlive, stopProcessGroup } from '../core/processes.ts';
import { nothingToRestore, restored, restoreFailed, FailedWithRollback, type RollbackOutcome } from '../core/rollback.ts';
import { prepareContext } from '../image/context.ts';
import { describeFiles } from '../image/service-source.ts';
import { ServiceState } from '../store/service-state.ts';
import { waitHealthy } from './health.ts';
import { assertPortIsOurs } from './port-guard.ts';
import type { Runtime, RuntimeContext, ServiceSpec } from './runtime.ts';
import { resolveStored, storableSettings, type StoredSettings } from './settings.ts';
import { safely } from './safely.ts';
import { planBeside, restoreBehind, settleBehind, shift, startBeside, type PrivateRun, type VersionOps, type Versions } from './behind-proxy.ts';
import type { Slot } from '../commands/haproxy.ts';
import { fileSafeName } from '../core/names.ts';

/** One run of a service as a local process: where it runs from, what it is, how it was set up. */
interface ProcessRun {
  /** The supervisor's PID, leader of the service's process group, on `host`. */
  pid: number;
  host: string;
  argv: string[];
  /** Its release folder: the project's files and production node_modules, kept for a rollback. */
  cwd: string;
  log: string;
  version: string;
  gitSha: string;
  /** Its health URL as it was deployed: a rollback checks the previous version where it answered. */
  health: string;
  deployId: string;
  startedAt: string;
  settings: StoredSettings;
  /** Behind the proxy: its slot and private port (without: it listened on the service's own port). */
  slot?: Slot;
  port?: number;
}

type PrivateProcess = ProcessRun & PrivateRun;

interface ProcessState {
  current: ProcessRun;
  previous: ProcessRun;
  earlier: ProcessRun;
}

// The supervisor has this file's extension: .ts in the workspace, .js in the published build.
const SUPERVISOR = fileURLToPath(new URL(`./supervisor${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

const state = (ctx: RuntimeContext) => new ServiceState<ProcessState>(ctx.blobs, ctx.envName, ctx.project.name, 'process');
const releasesOf = (ctx: RuntimeContext) => join(ctx.stateDir, 'releases', ctx.envName, fileSafeName(ctx.project.name));

/** True when the recorded PID still runs this service (not a recycled PID of something else). */
function running(run: ProcessRun | undefined): run is ProcessRun {
  if (!run || run.host !== hostname() || !isAlive(run.pid)) return false;
  const cmdline = commandLineOf(run.pid);
  if (!cmdline) return true; // no /proc: trust the PID
  return run.argv.every((a, i) => cmdline[cmdline.length - run.argv.length + i] === a);
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts a run under the supervisor, detached, its secrets handed over on stdin (never argv or env files). */
function launch(run: Omit<ProcessRun, 'pid' | 'host' | 'startedAt'>, env: Record<string, string>, ctx: RuntimeContext): ProcessRun {
  const pid = ctx.runner.spawnDetached({
    ...supervised(SUPERVISOR, run.log, run.argv),
    cwd: run.cwd,
    env,
    input: JSON.stringify({ secrets: ctx.redactor.secrets() }),
  });
  return { ...run, pid, host: hostname(), startedAt: new Date().toISOString() };
}

async function healthy(run: ProcessRun, spec: ServiceSpec, signal?: AbortSignal): Promise<string | undefined> {
  const { log } = run;
  return waitHealthy({
    signal,
    url: run.health ?? `${spec.url}${spec.health.path}`,
    ok: spec.health.ok,
    deadlineMs: spec.startTimeoutMs,
    expect: { version: run.version, gitSha: run.gitSha },
    gone: async () => (running(run) ? undefined : `the process exited (its log: ${log})`),
    owners: async () => [run.pid],
  });
}

/** The port must be free or held by the run this tool started (behind the proxy it is the proxy's). */
async function checkPort(spec: ServiceSpec, ctx: RuntimeContext): Promise<void> {
  // Behind a running proxy the address is the proxy's; one that is yet to start needs it free (or ours).
  if (ctx.proxy && (await ctx.proxy.routes())) return;
  const { current } = await state(ctx).read();
  assertPortIsOurs(spec.url, running(current) ? [current.pid] : [], ctx);
}

/** Starts the previous run again from its release folder, with its settings, and checks it. */
async function restorePrevious(spec: ServiceSpec, ctx: RuntimeContext): Promise<RollbackOutcome> {
  const { current, previous } = await state(ctx).read();
  if (running(current)) await stopProcessGroup(current.pid);
  if (!previous) {
    await state(ctx).write({});
    return nothingToRestore();
  }
  if (!existsSync(previous.cwd)) {
    await state(ctx).write({});
    return restoreFailed(`the release folder of ${previous.version} (${previous.cwd}) is gone, so it cannot be started; deploy a good version`);
  }
  const started = Date.now();
  const env = resolveStored(previous.settings, ctx.environ, `${ctx.project.name} rollback setting`);
  const again = launch(previous, env, ctx);
  await state(ctx).write({ current: again });
  const failure = await healthy(again, spec);
  if (failure)
    return restoreFailed(`started ${previous.version} again from ${previous.cwd}, but it is not healthy (${failure}); its log: ${again.log}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  ctx.log.info(`rolled back: ${previous.version} healthy again in ${seconds} s (pid ${again.pid})`);
  return restored(`${previous.version} (${previous.gitSha.slice(0, 12)}, pid ${again.pid})`, `healthy again in ${seconds} s`);
}

/** Keeps the release folders of the versions the state knows; older ones go. */
async function pruneReleases(ctx: RuntimeContext): Promise<void> {
  const { current, previous, earlier } = await state(ctx).read();
  const keep = new Set([current?.cwd, previous?.cwd, earlier?.cwd]);
  const dir = releasesOf(ctx);
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (!keep.has(join(dir, name))) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** Copies the service's files and production node_modules into a new release folder. */
async function releaseFolder(spec: ServiceSpec, ctx: RuntimeContext): Promise<string> {
  const cwd = join(releasesOf(ctx), ctx.deployId);
  const { source } = spec;
  const count = await prepareContext(ctx.workspaceRoot, join(ctx.workspaceRoot, source.dir), cwd, source.files, ctx.runner, spec.missingHint);
  ctx.log.info(`release folder ready: ${describeFiles(source)} and ${count} production packages`);
  return cwd;
}

/** The process runtime's primitives for versions behind the proxy. */
const behindProxy: VersionOps<PrivateProcess> = {
  async launch(spec, at, ctx) {
    const cwd = await releaseFolder(spec, ctx);
    const listen = { HOST: '127.0.0.1', PORT: String(at.port) };
    const run = launch(
      {
        argv: spec.command,
        cwd,
        log: join(cwd, 'service.log'),
        version: spec.identity.version ?? ctx.project.version,
        gitSha: spec.identity.gitSha ?? ctx.gitSha,
        health: `http://127.0.0.1:${at.port}${spec.health.path}`,
        deployId: ctx.deployId,
        settings: storableSettings({ ...spec.settings, ...listen }, { ...spec.env, ...listen }, (v) => ctx.redactor.redact(v) !== v),
        ...at,
      },
      { ...spec.env, ...listen },
      ctx,
    );
    return run as PrivateProcess;
  },
  async notRunning(run) {
    const { log } = run;
    return running(run) ? undefined : `the process exited (its log: ${log})`;
  },
  stop: async (run) => void (running(run) && (await stopProcessGroup(run.pid))),
  async resume(run, ctx) {
    if (!existsSync(run.cwd)) return { problem: `its release folder ${run.cwd} is gone` };
    const env = resolveStored(run.settings, ctx.environ, `${ctx.project.name} rollback setting`);
    return { run: launch(run, env, ctx) as PrivateProcess };
  },
  async remove(run, ctx) {
    if (running(run)) await stopProcessGroup(run.pid);
    // The folder comes back from the state store: only a release folder of this service is removed.
    if (dirname(run.cwd) === releasesOf(ctx) && !['.', '..'].includes(basename(run.cwd))) rmSync(run.cwd, { recursive: true, force: true });
    else ctx.log.warn(`not removed: ${run.cwd}, which the state store names as a release folder, is not one (${releasesOf(ctx)}/<deploy id>)`);
  },
  describe: (run) => `${run.version} (${run.gitSha.slice(0, 12)}, pid ${run.pid})`,
  logs: async (run) => tail(run.log),
  read: async (ctx) => (await state(ctx).read()) as Versions<PrivateProcess>,
  write: (versions, ctx) => state(ctx).write(versions),
};

/**
 * Runtime `process`: the service runs on this machine from an immutable release folder (the
 * project's files plus its production node_modules, as an image would hold them), so the
 * previous version can be started again after a failed deploy.
 */
export const processRuntime: Runtime = {
  name: 'process',

  async previous(ctx) {
    const { previous } = await state(ctx).read();
    if (!previous) return { problem: 'no earlier version is kept (it was never replaced, or was already restored)' };
    if (!existsSync(previous.cwd)) return { problem: `the release folder of ${previous.version} (${previous.cwd}) is gone` };
    return {
      version: previous.version,
      what: `${previous.version} (${previous.gitSha.slice(0, 12)}) from ${previous.cwd}`,
      names: [previous.version, previous.gitSha],
    };
  },

  plan(spec, ctx) {
    const folder = {
      title: `copy ${describeFiles(spec.source)} and production node_modules into a release folder under ${join(ctx.stateDir, 'releases', ctx.envName)}`,
    };
    const beside = planBeside(spec, ctx, [
      { title: 'start the new version from the release folder, listening on the private port', command: { argv: spec.command, env: spec.env } },
    ]);
    if (beside) return [folder, ...beside];
    return [
      folder,
      { title: `stop the running ${ctx.project.name} (kept, with its release folder, for a rollback)` },
      { title: 'start the new version from the release folder', command: { argv: spec.command, env: spec.env } },
      {
        title: `wait until ${spec.url}${spec.health.path} answers ${spec.health.expects} from it; if not, or a later step fails, start the previous version again`,
      },
    ];
  },

  async preflight(spec, ctx) {
    await checkPort(spec, ctx);
  },

  async start(spec, ctx) {
    if (ctx.proxy) {
      const { run, direct } = await startBeside(behindProxy, spec, ctx);
      await pruneReleases(ctx);
      return { url: spec.url, direct, artifact: `pid:${run.pid}`, detail: `${run.version} on 127.0.0.1:${run.port} beside the serving version` };
    }
    await checkPort(spec, ctx);
    const cwd = await releaseFolder(spec, ctx);
    const { current } = await state(ctx).read();
    if (running(current)) {
      ctx.log.info(`stopping the running version ${current.version} (pid ${current.pid})`);
      await stopProcessGroup(current.pid);
    }
    const run = launch(
      {
        argv: spec.command,
        cwd,
        log: join(cwd, 'service.log'),
        version: spec.identity.version ?? ctx.project.version,
        gitSha: spec.identity.gitSha ?? ctx.gitSha,
        health: `${spec.url}${spec.health.path}`,
        deployId: ctx.deployId,
        settings: storableSettings(spec.settings, spec.env, (v) => ctx.redactor.redact(v) !== v),
      },
      spec.env,
      ctx,
    );
    await state(ctx)
      .write({ current: run, ...(current ? { previous: current } : {}) })
      .catch(async (err: Error) => {
        await stopProcessGroup(run.pid);
        throw new UserError(
          `${ctx.project.name}: the new version could not be recorded in the state store (${err.message.split('\n')[0]}), so it was stopped; ` +
            `${current ? `the previous version (${current.version}, ${current.cwd}) is stopped too: deploy again` : 'nothing runs now'}`,
        );
      });
    const failure = await healthy(run, spec, ctx.signal);
    if (failure) {
      ctx.log.warn(`the new version is not healthy (${failure}); its last log lines:\n${tail(run.log)}`);
      const outcome = await safely(restorePrevious(spec, ctx));
      throw new FailedWithRollback(
        `${ctx.project.name}: the new version did not become healthy at ${spec.url}${spec.health.path} (${failure}).${healthPathHint(ctx, spec.health)}`,
        outcome,
      );
    }
    await pruneReleases(ctx);
    ctx.log.info(`running: pid ${run.pid}, ${spec.url}`);
    return { url: spec.url, artifact: `pid:${run.pid}`, detail: `${run.version} running` };
  },

  restore: (spec, ctx) => safely(ctx.proxy ? restoreBehind(behindProxy, spec, ctx, ctx.proxy) : restorePrevious(spec, ctx)),

  async settle(ctx) {
    if (!ctx.proxy) return;
    await settleBehind(behindProxy, ctx, ctx.keepPreviousWarm ?? false);
    await pruneReleases(ctx);
  },

  shift: (ctx, weight) => shift(behindProxy, ctx.proxy!, weight, ctx),

  async stopPrevious(ctx) {
    const { previous } = await behindProxy.read(ctx);
    if (previous) await behindProxy.stop(previous, ctx);
  },
};
