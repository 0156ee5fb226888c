// Synthetic ledger records for the report pages' size test and bench: shaped like real ones (the
// verify e2e's record is the model), sized like a busy year: 500 deploys; a 6-minute window at 1 s.
import { createHash } from 'node:crypto';
import type { LedgerRecord } from '../src/store/state-store.ts';
import type { SampledTarget, WatchRecord } from '../src/core/watch-record.ts';

const STATUSES = ['succeeded', 'succeeded', 'succeeded', 'failed', 'rolled_back', 'aborted'] as const;
const PROJECTS = ['api-server', 'mcp-server', 'frontend', 'cli', 'sdk-typescript', 'sdk-rust'];

/** `n` deploys of six projects, one every 20 minutes, in start order. */
export function manyDeploys(n: number, env = 'staging'): LedgerRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const started = Date.UTC(2026, 0, 1) + i * 20 * 60_000;
    const status = STATUSES[(i * 5 + Math.floor(i / 6) * 7) % STATUSES.length]!;
    const project = PROJECTS[i % PROJECTS.length]!;
    return {
      id: `${new Date(started)
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z')}-${project}-${i.toString(16).padStart(6, '0')}`,
      project,
      env,
      kind: 'deploy',
      version: `1.${Math.floor(i / 6)}.0`,
      gitSha: createHash('sha1').update(String(i)).digest('hex'),
      status,
      actor: i % 3 ? 'ci-bot' : 'alice',
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(started + 95_000).toISOString(),
      steps: ['migrate', 'rollout', 'smoke', 'cutover', 'verify'].map((name, k) => ({
        name,
        startedAt: new Date(started + k * 10_000).toISOString(),
        status: 'succeeded' as const,
        durationMs: 9_000,
      })),
      ...(status === 'rolled_back'
        ? { rollback: { outcome: 'restored' as const, serving: `1.${Math.floor(i / 6) - 1}.0`, detail: 'switched back' } }
        : {}),
    };
  });
}

/** One target's samples over `windowMs` every `intervalMs`: steady, then a 50% error rate from the middle of the window. */
function target(windowMs: number, intervalMs: number, server?: string): SampledTarget {
  const at = Array.from({ length: Math.floor(windowMs / intervalMs) + 1 }, (_, i) => i * intervalMs);
  const broken = (ms: number) => ms >= windowMs * 0.5;
  return {
    ...(server ? { server } : {}),
    at,
    health: at.map(() => 1),
    ready: at.map(() => 1),
    requests: at.map((ms, i) => (i ? 40 + (ms % 7) : null)),
    errors: at.map((ms, i) => (i ? (broken(ms) ? 20 : ms % 3 ? 0 : 1) : null)),
    p95: at.map((ms, i) => (i ? 4.5 + (ms % 11) / 10 : null)),
    p99: at.map((ms, i) => (i ? 9.7 + (ms % 13) / 10 : null)),
  };
}

/** A deploy rolled back at the end of a long verification window (the report's worst case). */
export function longWatch(windowMs = 360_000, intervalMs = 1_000): LedgerRecord {
  const [record] = manyDeploys(1);
  const watch: WatchRecord = {
    what: 'verification',
    startedAt: record!.startedAt,
    intervalMs,
    windowMs,
    triggers: [
      { label: 'errorRate > 0.05 for 2m', metric: 'errorRate', threshold: 0.05, forMs: 120_000, action: 'rollback', minRequests: 20 },
      { label: 'latencyP95 > 2000 ms for 3m', metric: 'latencyP95', threshold: 2000, forMs: 180_000, action: 'rollback', minRequests: 20 },
      { label: 'errorRate > 0.02 for 2m', metric: 'errorRate', threshold: 0.02, forMs: 120_000, action: 'alert', minRequests: 20 },
    ],
    targets: [target(windowMs, intervalMs)],
    fired: { label: 'errorRate > 0.05 for 2m', fromMs: windowMs * 0.5, atMs: windowMs * 0.5 + 120_000 },
    alerts: [{ atMs: windowMs * 0.5 + 120_000, condition: 'errorRate > 0.02 for 2m', action: 'trigger' }],
  };
  return {
    ...record!,
    status: 'rolled_back',
    watches: [watch],
    rollback: {
      outcome: 'restored',
      serving: '0.9.0',
      detail: 'switched back to the warm previous version in 0.2 s',
      startedAt: new Date(Date.parse(record!.startedAt) + windowMs * 0.5 + 120_000).toISOString(),
      finishedAt: new Date(Date.parse(record!.startedAt) + windowMs * 0.5 + 120_300).toISOString(),
    },
  };
}
