import type { Instance, Result } from 'autocannon';
import type { LoadMeasurement } from '../core/load-measurement.ts';

export interface LoadRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  durationS: number;
  connections: number;
  signal?: AbortSignal;
  /** Called about once a second with the requests answered so far. */
  progress?(answered: number, elapsedS: number): void;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Drives load with autocannon and records every response time into an HDR histogram (autocannon
 * reports p97.5 and p99 but no p95): quantiles exact to 3 significant digits, whatever the count.
 */
export async function generateLoad(req: LoadRequest): Promise<LoadMeasurement> {
  const [{ default: autocannon }, hdr] = await Promise.all([import('autocannon'), import('hdr-histogram-js')]);
  // Microseconds from 1 µs to 10 min, 3 significant digits.
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  const started = performance.now();
  let answered = 0;
  let instance!: Instance;
  const done = new Promise<Result>((resolve, reject) => {
    instance = autocannon(
      { url: req.url, method: req.method as 'GET', headers: req.headers, duration: req.durationS, connections: req.connections, timeout: 10 },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
    answered++;
    histogram.recordValue(Math.max(1, Math.round(responseTimeMs * 1000)));
  });
  const tick = setInterval(() => req.progress?.(answered, Math.round((performance.now() - started) / 1000)), 1000);
  const onAbort = () => instance.stop();
  req.signal?.addEventListener('abort', onAbort);
  try {
    const result = await done;
    const total = result.requests.total;
    const failed = result.non2xx + result.errors + result.timeouts;
    const durationS = Math.round(result.duration * 10) / 10;
    return {
      requests: total,
      durationS,
      rps: Math.round(total / Math.max(result.duration, 0.001)),
      errorRate: total + result.errors + result.timeouts === 0 ? 1 : failed / (total + result.errors + result.timeouts),
      p50Ms: round(histogram.getValueAtPercentile(50) / 1000),
      p95Ms: round(histogram.getValueAtPercentile(95) / 1000),
      p99Ms: round(histogram.getValueAtPercentile(99) / 1000),
      maxMs: round(histogram.maxValue / 1000),
    };
  } finally {
    clearInterval(tick);
    req.signal?.removeEventListener('abort', onAbort);
    histogram.destroy();
  }
}
