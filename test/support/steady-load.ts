import { Agent, request } from 'node:http';

/** One answer (or failure) the clients saw, in order. */
export interface Seen {
  /** When the request was sent, and when its answer (or failure) came. */
  sentAt: number;
  at: number;
  status?: number;
  /** x-app-revision of the answer: which version gave it. */
  revision?: string;
  /** refused, reset, timed out, ... (no answer at all). */
  error?: string;
}

export interface LoadReport {
  seen: Seen[];
  /** Refused, reset, timed out or 5xx: what a person calls a failed request. */
  failed: Seen[];
  /** The revisions that answered, in the order they took over (old, new, ...), by when each request was sent. */
  switches: string[];
  /** Answers per revision. */
  byRevision: Record<string, number>;
}

/**
 * A steady load like people's: `clients` concurrent keep-alive clients, each sending one request
 * after another to `url` (GET, with `headers`), `pauseMs` apart (default 5: a few hundred requests a
 * second in all, which leaves this 2-core machine room to run the deploy), until stopped; each
 * request is given `timeoutMs`.
 */
export function steadyLoad(url: string, o: { clients?: number; headers?: Record<string, string>; timeoutMs?: number; pauseMs?: number } = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets: o.clients ?? 4 });
  const seen: Seen[] = [];
  let running = true;
  const one = () =>
    new Promise<void>((resolve) => {
      const sentAt = Date.now();
      const req = request(url, { agent, headers: o.headers }, (res) => {
        res.resume();
        res.on('end', () => {
          seen.push({ sentAt, at: Date.now(), status: res.statusCode, revision: res.headers['x-app-revision'] as string | undefined });
          resolve();
        });
        res.on('error', (err: NodeJS.ErrnoException) => (seen.push({ sentAt, at: Date.now(), error: err.code ?? err.message }), resolve()));
      });
      req.setTimeout(o.timeoutMs ?? 5_000, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        seen.push({ sentAt, at: Date.now(), error: err.code ?? err.message });
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: o.clients ?? 4 }, async () => {
    while (running) {
      await one();
      await new Promise((r) => setTimeout(r, o.pauseMs ?? 5));
    }
  });
  return {
    /** What has been seen so far (the load goes on). */
    seen,
    async stop(): Promise<LoadReport> {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      const switches: string[] = [];
      const byRevision: Record<string, number> = {};
      for (const s of [...seen].sort((a, b) => a.sentAt - b.sentAt)) {
        if (!s.revision) continue;
        byRevision[s.revision] = (byRevision[s.revision] ?? 0) + 1;
        if (switches.at(-1) !== s.revision) switches.push(s.revision);
      }
      return { seen, failed: seen.filter((s) => s.error || (s.status ?? 0) >= 500), switches, byRevision };
    },
  };
}

/** Pure: one line on failures for an assertion message. */
export function describeFailures(r: LoadReport): string {
  const kinds: Record<string, number> = {};
  for (const f of r.failed) kinds[f.error ?? String(f.status)] = (kinds[f.error ?? String(f.status)] ?? 0) + 1;
  return `${r.failed.length} of ${r.seen.length} failed: ${JSON.stringify(kinds)}`;
}

/**
 * Pure: whether the answers went from `from` through `to` and back to `from`. While a switch is
 * under way both versions are ready for a moment (so there is never nothing to send to), so a few
 * answers of either may interleave there; what matters is where it starts, that it switched, and
 * where it ends.
 */
export function switchedAndBack(r: LoadReport, from: string, to: string): boolean {
  return r.switches[0] === from && r.switches.includes(to) && r.switches.at(-1) === from;
}

/** Pure: whether the answers went from `from` to `to` (and no other version answered), allowing the same overlap. */
export function switchedTo(r: LoadReport, from: string, to: string): boolean {
  return r.switches[0] === from && r.switches.at(-1) === to && r.switches.every((s) => s === from || s === to);
}
