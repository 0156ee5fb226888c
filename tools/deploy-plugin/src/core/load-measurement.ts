/** What a load test measured (latencies from an HDR histogram): recorded in the ledger, judged against a budget. */
export interface LoadMeasurement {
  requests: number;
  durationS: number;
  rps: number;
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** A load test as the ledger keeps it: what was measured and whether it met its budget. */
export interface LoadTestRecord extends LoadMeasurement {
  passed: boolean;
  url: string;
  connections: number;
  /** What it was judged against (absent in records written before it was kept). */
  budget?: { p95Ms?: number; p99Ms?: number; maxErrorRate?: number; minRps?: number };
  /** A service on servers: each server's own load test (the record above is the worst of them). */
  servers?: (LoadMeasurement & { server: string; url: string; passed: boolean })[];
}
