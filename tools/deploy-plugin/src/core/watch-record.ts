/**
 * A verification window or one canary step as the ledger keeps it: every sample that was taken
 * (in columns, one entry per round, so 360 rounds stay a few kB) and what was judged from them.
 * The deploy report plots it; nothing decides anything from it afterwards.
 */
export interface WatchRecord {
  /** `verification`, or `canary step 2 (25%)`. */
  what: string;
  /** When the sampling schedule began; every `at` below is ms after it. */
  startedAt: string;
  intervalMs: number;
  windowMs: number;
  triggers: WatchedTrigger[];
  /** One per thing watched: the service (or site), or each of its servers. */
  targets: SampledTarget[];
  /** The rollback trigger that ended the watch: where its breaching run began and when it fired. */
  fired?: { label: string; server?: string; fromMs: number; atMs: number };
  /** Alert triggers raised and resolved while watching. */
  alerts?: { atMs: number; condition: string; action: 'trigger' | 'resolve' }[];
}

export interface WatchedTrigger {
  label: string;
  metric: 'health' | 'ready' | 'errorRate' | 'latencyP95' | 'latencyP99';
  /** errorRate: a fraction; latency: ms; absent for health and ready. */
  threshold?: number;
  forMs: number;
  action: 'rollback' | 'alert';
  /** errorRate and latency: fewer requests in an interval say nothing. */
  minRequests: number;
}

/** One target's rounds as columns; `null` where that round has no value (endpoint down, first scrape, no observations). */
export interface SampledTarget {
  server?: string;
  at: number[];
  /** 1 up, 0 down. */
  health: (0 | 1 | null)[];
  ready?: (0 | 1 | null)[];
  requests?: (number | null)[];
  errors?: (number | null)[];
  /** Request duration quantiles over the interval, in ms. */
  p95?: (number | null)[];
  p99?: (number | null)[];
}
