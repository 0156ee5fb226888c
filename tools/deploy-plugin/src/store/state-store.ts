import { UserError } from '../core/errors.ts';
import type { LoadTestRecord } from '../core/load-measurement.ts';
import type { WatchRecord } from '../core/watch-record.ts';
import type { CanaryStepRecord, RollbackOutcome, ServerRecord } from '../core/rollback.ts';

export type LedgerStatus = 'started' | 'succeeded' | 'failed' | 'rolled_back' | 'aborted';

export interface StepRecord {
  name: string;
  startedAt?: string;
  status: 'succeeded' | 'failed' | 'skipped';
  durationMs: number;
  detail?: string;
  url?: string;
}

export interface LedgerRecord {
  id: string;
  project: string;
  env: string;
  /** What ran: `deploy`, or a single step run on its own (`migrate`, `smoke`, ...). */
  kind: string;
  version: string;
  gitSha: string;
  status: LedgerStatus;
  actor: string;
  approver?: string;
  startedAt: string;
  finishedAt?: string;
  artifact?: string;
  /** The container image deployed, by digest. */
  image?: string;
  backupRef?: string;
  /** The SHA-256 of a backup kept in the state store (`store:` ref), checked before it is restored. */
  backupSha256?: string;
  url?: string;
  /** The load test this deploy ran (staging): what a production deploy of the same commit requires. */
  loadtest?: LoadTestRecord;
  reason?: string;
  /** What undoing a failed deploy achieved: whether the previous version serves again. */
  rollback?: RollbackOutcome;
  /** A service on servers: what serves on each when the deploy ended. */
  servers?: ServerRecord[];
  /** A canary cut-over's steps: each share of requests, how long it was watched, and what came of it. */
  canary?: CanaryStepRecord[];
  /** Every sample verification and canary steps took, and what was judged (in columns): what the deploy report plots. */
  watches?: WatchRecord[];
  /** The alerts sent when the deploy ended (each channel's result). */
  alerts?: string[];
  steps?: StepRecord[];
  /** While `started`: the deployed version already receives traffic (a deploy that died here left it serving). */
  serving?: boolean;
  /** The generation of the lock lease it was written under: a store refuses a write from a lease that is no longer current. */
  generation?: number;
  /** A shared store's write order (every state of every record gets the next number). */
  seq?: number;
}

/** Append-only deploy records per environment; each state change of a deploy appends the whole record again. */
export interface LedgerStore {
  /** Records a deploy's new state. A record with a `generation` older than the environment's lease is refused (LeaseLost). */
  append(record: LedgerRecord): Promise<void>;
  /** Every record of an environment in the order deploys started, each in its latest state. */
  read(env: string): Promise<{ records: LedgerRecord[]; damagedLines: number }>;
  /** The newest record of a project in an environment that matches `where`. */
  latest(env: string, project: string, where: (r: LedgerRecord) => boolean): Promise<LedgerRecord | undefined>;
}

/** The last deploy of a project that succeeded (and matches `where`): what promotion, rollbacks and `affected` build on. */
export function lastGood(ledger: LedgerStore, env: string, project: string, where: (r: LedgerRecord) => boolean = () => true) {
  return ledger.latest(env, project, (r) => r.kind === 'deploy' && r.status === 'succeeded' && where(r));
}

export interface LockHolder {
  token: string;
  env: string;
  actor: string;
  host: string;
  /** The Nx invocation (or CLI process) holding the lock; tasks of the same run share it. */
  runPid: number;
  since: string;
  what: string;
  /** Lease backends: its fencing number, when it expires unless renewed, and when the run's process started. */
  generation?: number;
  expiresAt?: string;
  runStart?: string;
}

export interface LockStatus {
  holder: LockHolder;
  /** PIDs of the tasks inside the lock right now. */
  tasks: number[];
  /** Nobody will release it (its processes are gone, or its lease expired): it may be taken over. */
  stale: boolean;
}

export interface Lease {
  holder: LockHolder;
  /** The fencing number every ledger write under this lease carries (0 where the store needs none). */
  generation: number;
  /** Why the lease is no longer ours (taken over, or not renewed in time), or undefined while it is. */
  lost(): string | undefined;
  release(): Promise<void>;
}

/** Who asks for a lock, and where its lease's troubles (a renewal that failed) are said. */
export interface LeaseRequest {
  actor: string;
  what: string;
  warn?: (message: string) => void;
}

/** One lock per environment. */
export interface LockStore {
  /** Takes the lock, or joins it when the same Nx run holds it; throws LockHeld when someone else does. */
  acquire(env: string, who: LeaseRequest): Promise<Lease>;
  status(env: string): Promise<LockStatus | undefined>;
  /** Removes the lock; refuses a live holder's unless forced. */
  forceRelease(env: string, force: boolean): Promise<LockHolder | undefined>;
}

/** Small named documents a rollback needs later: previous manifests, what ran before, release manifests. */
export interface BlobStore {
  get(key: string): Promise<string | undefined>;
  put(key: string, body: string): Promise<void>;
  /** Binary objects (an encrypted database backup). */
  getBytes(key: string): Promise<Buffer | undefined>;
  putBytes(key: string, body: Buffer): Promise<void>;
  /**
   * The same blobs as a deploy holding `generation` of `env`'s lease writes them: refused
   * (LeaseLost) once a newer lease exists. Stores whose locks have no generation have none.
   */
  fenced?(env: string, generation: number): BlobStore;
}

export interface StateStore {
  /** Where state lives, for people: a folder, or s3://bucket/prefix at an endpoint. */
  readonly where: string;
  ledger: LedgerStore;
  locks: LockStore;
  blobs: BlobStore;
}

/** The environment is locked by someone else. */
export class LockHeld extends UserError {
  readonly status: LockStatus;

  constructor(status: LockStatus, hint: string) {
    const h = status.holder;
    super(`${h.env} is locked by ${h.actor} on ${h.host} since ${h.since} (${h.what}; process ${h.runPid})${hint}`);
    this.status = status;
  }
}

/** A write under a lease that a newer deploy has taken over. */
export class LeaseLost extends UserError {}
