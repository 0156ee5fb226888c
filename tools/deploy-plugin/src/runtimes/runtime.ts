import type { RuntimeName } from '../config/runtime-kinds.ts';
import type { PlanContext, RunContext } from '../config/context.ts';
import { localHost, type Host } from '../core/host.ts';
import type { ServiceProxy } from '../proxy/service-proxy.ts';
import type { PlannedAction } from '../core/plan.ts';
import type { RollbackOutcome } from '../core/rollback.ts';
import type { Identity } from './health.ts';
import type { Settings } from './settings.ts';
import type { BlobStore } from '../store/state-store.ts';
import type { ServiceSource } from '../image/service-source.ts';
import type { HealthCheck } from '../config/services.ts';

/** A running deploy as a runtime sees it: where its state (what ran before) is kept, and where the service runs. */
export interface RuntimeContext extends RunContext {
  blobs: BlobStore;
  /** One of the environment's servers (container and compose runtimes); unset: this machine. */
  host?: Host;
  /** The service's proxy on that host, when its versions sit behind one (process, container, compose). */
  proxy?: ServiceProxy;
  /** Behind the proxy: the version before keeps running after the deploy, until the next one. */
  keepPreviousWarm?: boolean;
}

/** Where the runtime's commands run: the context's server, else this machine. */
export function hostOf(ctx: RuntimeContext): Host {
  return ctx.host ?? localHost(ctx.runner);
}

/** Everything a runtime needs to run one version of a service, resolved by the roll-out step. */
export interface ServiceSpec {
  /** Where the service answers in this environment (deploy.json services.<project>.url). */
  url: string;
  health: HealthCheck;
  /** The service's environment as templates; secret values are never stored resolved. */
  settings: Settings;
  /** The same settings resolved now. */
  env: Record<string, string>;
  /** The version and commit being started: its health answer must not report others. */
  identity: Identity;
  startTimeoutMs: number;
  /** process: the argv that starts it, run in a release folder assembled from `source`. */
  command: string[];
  source: ServiceSource;
  /** What to do when a file of `source` is missing. */
  missingHint: string;
  /** container, compose, kubernetes: the image to run, by digest. */
  image?: string;
  /** compose: the compose file pattern ({environment} replaced). */
  composeFile: string;
  /** kubernetes: the kustomize overlay ({environment} replaced), the image name it uses, the wait. */
  manifests: string;
  manifestImage?: string;
  rolloutTimeoutMs: number;
}

export interface Started {
  url?: string;
  /** Behind the proxy: where this machine reaches the new version itself, before any request is switched to it. */
  direct?: string;
  /**
   * Where this machine reaches the new version, which already serves, for smoke tests and
   * verification (Kubernetes: a port-forward to one of its pods, open until the deploy ends).
   */
  checkAt?: string;
  artifact: string;
  detail: string;
}

/**
 * One way of running a backend service (Kamal's builder targets, Changesets' publish tools): each
 * runtime plans, starts the new version (putting the previous one back itself when the new one
 * never became healthy: it throws FailedWithRollback) and restores the previous version when a
 * later step fails.
 */
export interface Runtime {
  readonly name: RuntimeName;
  plan(spec: ServiceSpec, ctx: PlanContext): PlannedAction[];
  /** Checked before any step of the deploy runs: nothing may be changed yet if this throws. */
  preflight?(spec: ServiceSpec, ctx: RuntimeContext): Promise<void>;
  start(spec: ServiceSpec, ctx: RuntimeContext): Promise<Started>;
  restore(spec: ServiceSpec, ctx: RuntimeContext): Promise<RollbackOutcome>;
  /**
   * The whole deploy succeeded: let go of the version before the previous one, which a roll-out
   * keeps until then so that a deploy failing anywhere (another server, a later step) leaves
   * things exactly as they were.
   */
  settle?(ctx: RuntimeContext): Promise<void>;
  /** Behind the proxy: `weight` percent of requests to the version this deploy started, the rest to the one before. */
  shift?(ctx: RuntimeContext, weight: number): Promise<void>;
  /** Behind the proxy: stops the version before (kept), e.g. to free the service's port for the proxy the first time. */
  stopPrevious?(ctx: RuntimeContext): Promise<void>;
  /** What serves now as this runtime recorded it (`0.1.0 (registry/app@sha256:...)`), when it keeps that. */
  serving?(ctx: RuntimeContext): Promise<string | undefined>;
  /** What `restore` would start again, or why it cannot (asked before a manual rollback changes anything). */
  previous(ctx: RuntimeContext): Promise<KeptVersion | { problem: string }>;
}

/** The version a runtime keeps for a rollback: what people read, and the names `--to` may give it. */
export interface KeptVersion {
  version: string;
  what: string;
  /** Its version, commit and image: `rollback --to` must name one of them (a prefix of a commit or digest will do). */
  names: string[];
}
