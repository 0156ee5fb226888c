import { createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP reverse proxy on a free 127.0.0.1 port in front of `target` (e.g. Verdaccio) that answers
 * `status` (503) to a fraction of requests and streams every other one through unchanged: any method,
 * request and response bodies streamed, headers kept (hop-by-hop ones aside), Host rewritten to the
 * target's. Which requests fail is decided by a seeded PRNG drawn once per request in arrival order,
 * so the same seed and the same request sequence give the same faults on every run.
 *
 * `preserveHost: true` keeps the client's Host instead: servers that build absolute URLs from Host
 * (Verdaccio's tarball links) then point clients back at the proxy, so those downloads see faults too.
 */
export interface FaultProxyOptions {
  target: string;
  /** 0..1: the share of requests answered with `status`. */
  failureRate: number;
  seed: number;
  status?: number;
  preserveHost?: boolean;
  /**
   * Requests whose reply is lost: forwarded, answered by the target in full (so it acted on them),
   * then the client's connection is reset before it sees a byte of the answer.
   */
  dropReplyTo?: (req: { method: string; url: string }) => boolean;
  /** Sees every request as it arrives, in order (a test observing what a client sends when). */
  observe?: (req: { method: string; url: string; headers: IncomingHttpHeaders }) => void;
}

export interface FaultProxy {
  url: string;
  /** Live counters: forwarded to the target, failed on purpose, replies dropped, and upstream errors (answered 502). */
  stats: { forwarded: number; failed: number; dropped: number; upstreamErrors: number };
  /** Changes the share of failed requests from now on (1: the target is cut off). */
  setFailureRate(rate: number): void;
  stop(): Promise<void>;
}

/** mulberry32: a tiny, well-mixed 32-bit PRNG; enough for picking faults, not for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Headers that describe one connection, not the message (RFC 9110 §7.6.1). transfer-encoding is
// kept: Node then chunks the forwarded body itself, as the sender did.
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set((headers.connection ?? '').split(',').map((h) => h.trim().toLowerCase()));
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !hopByHop.has(k) && !named.has(k)) out[k] = v;
  return out;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const { seed, status = 503, preserveHost = false } = options;
  let { failureRate } = options;
  if (!(failureRate >= 0 && failureRate <= 1)) throw new Error(`startFaultProxy: failureRate must be within 0..1, got ${failureRate}`);
  if (!Number.isInteger(seed)) throw new Error(`startFaultProxy: seed must be an integer, got ${seed}`);
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new Error(`startFaultProxy: target must be an http:// URL, got ${options.target}`);
  const prefix = target.pathname.replace(/\/$/, '');
  const random = seededRandom(seed);
  const stats = { forwarded: 0, failed: 0, dropped: 0, upstreamErrors: 0 };

  const server = createServer((req, res) => {
    options.observe?.({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    if (random() < failureRate) {
      stats.failed++;
      // Read the request body first so the client is not cut off mid-upload and the connection stays usable.
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'text/plain', 'retry-after': '0' }).end(`fault-proxy: injected ${status}\n`);
      });
      return;
    }
    stats.forwarded++;
    const headers = endToEnd(req.headers);
    if (!preserveHost) headers.host = target.host;
    const upstream = request(
      { hostname: target.hostname, port: target.port || 80, method: req.method, path: `${prefix}${req.url}`, headers },
      (up) => {
        if (options.dropReplyTo?.({ method: req.method ?? 'GET', url: req.url ?? '/' })) {
          stats.dropped++;
          up.resume(); // the target finishes its answer: whatever it did, it did
          up.on('end', () => req.socket.destroy());
          return;
        }
        const raw: string[] = [];
        for (let i = 0; i < up.rawHeaders.length; i += 2)
          if (!hopByHop.has(up.rawHeaders[i]!.toLowerCase())) raw.push(up.rawHeaders[i]!, up.rawHeaders[i + 1]!);
        res.writeHead(up.statusCode ?? 502, up.statusMessage, raw);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      stats.upstreamErrors++;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault-proxy: ${options.target} unreachable: ${err.message}\n`);
      else res.destroy(err);
    });
    // The client went away before the answer was complete: stop talking to the target too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats,
    setFailureRate: (rate) => {
      failureRate = rate;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
