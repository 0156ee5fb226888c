import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  bucketDelta,
  counterDelta,
  counterTotal,
  errorRate,
  histogramBuckets,
  histogramQuantile,
  type Bucket,
} from '../src/analysis/metric-deltas.ts';
import { parsePrometheusText, type MetricFamily } from '../src/analysis/prometheus-text.ts';

// The unmaintained parser we cross-check against ships CommonJS without types: required once, typed here.
interface PackageMetric {
  value?: string;
  labels?: Record<string, string>;
  timestamp_ms?: string;
  buckets?: Record<string, string>;
  quantiles?: Record<string, string>;
  sum?: string;
  count?: string;
}
interface PackageFamily {
  name: string;
  help: string;
  type: string;
  metrics: PackageMetric[];
}
const parseWithPackage = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PackageFamily[];

/** A prom-client 15.1.3 scrape (Node 22), default metrics cut down, with an app's HTTP histogram and counter. */
const SCRAPE = String.raw`# HELP process_cpu_user_seconds_total Total user CPU time spent in seconds.
# TYPE process_cpu_user_seconds_total counter
process_cpu_user_seconds_total 0.002259

# HELP process_cpu_system_seconds_total Total system CPU time spent in seconds.
# TYPE process_cpu_system_seconds_total counter
process_cpu_system_seconds_total 0.003389

# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 0.005648

# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1795838657

# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 62980096

# HELP process_open_fds Number of open file descriptors.
# TYPE process_open_fds gauge
process_open_fds 22

# HELP nodejs_eventloop_lag_mean_seconds The mean of the recorded event loop delays.
# TYPE nodejs_eventloop_lag_mean_seconds gauge
nodejs_eventloop_lag_mean_seconds Nan

# HELP nodejs_eventloop_lag_p50_seconds The 50th percentile of the recorded event loop delays.
# TYPE nodejs_eventloop_lag_p50_seconds gauge
nodejs_eventloop_lag_p50_seconds 5.11e-7

# HELP nodejs_active_handles Number of active libuv handles grouped by handle type. Every handle type is C++ class name.
# TYPE nodejs_active_handles gauge

# HELP nodejs_heap_space_size_total_bytes Process heap space size total from Node.js in bytes.
# TYPE nodejs_heap_space_size_total_bytes gauge
nodejs_heap_space_size_total_bytes{space="read_only"} 0
nodejs_heap_space_size_total_bytes{space="new"} 4194304
nodejs_heap_space_size_total_bytes{space="old"} 4505600

# HELP nodejs_version_info Node.js version info.
# TYPE nodejs_version_info gauge
nodejs_version_info{version="v22.23.3",major="22",minor="23",patch="3"} 1

# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.
# TYPE nodejs_gc_duration_seconds histogram

# HELP http_request_duration_seconds Duration of HTTP requests in seconds
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/items",status_code="200"} 10
http_request_duration_seconds_bucket{le="0.01",method="GET",route="/api/items",status_code="200"} 10
http_request_duration_seconds_bucket{le="0.025",method="GET",route="/api/items",status_code="200"} 40
http_request_duration_seconds_bucket{le="0.05",method="GET",route="/api/items",status_code="200"} 40
http_request_duration_seconds_bucket{le="0.1",method="GET",route="/api/items",status_code="200"} 70
http_request_duration_seconds_bucket{le="0.25",method="GET",route="/api/items",status_code="200"} 70
http_request_duration_seconds_bucket{le="0.5",method="GET",route="/api/items",status_code="200"} 85
http_request_duration_seconds_bucket{le="1",method="GET",route="/api/items",status_code="200"} 90
http_request_duration_seconds_bucket{le="2",method="GET",route="/api/items",status_code="200"} 90
http_request_duration_seconds_bucket{le="5",method="GET",route="/api/items",status_code="200"} 90
http_request_duration_seconds_bucket{le="10",method="GET",route="/api/items",status_code="200"} 90
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/items",status_code="200"} 90
http_request_duration_seconds_sum{method="GET",route="/api/items",status_code="200"} 11.23
http_request_duration_seconds_count{method="GET",route="/api/items",status_code="200"} 90
http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="0.01",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="0.025",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="0.05",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="0.1",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="0.25",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="0.5",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="1",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="2",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="5",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="10",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_sum{method="GET",route="/api/items/:id",status_code="404"} 0.024
http_request_duration_seconds_count{method="GET",route="/api/items/:id",status_code="404"} 6
http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/items",status_code="500"} 0
http_request_duration_seconds_bucket{le="0.01",method="POST",route="/api/items",status_code="500"} 0
http_request_duration_seconds_bucket{le="0.025",method="POST",route="/api/items",status_code="500"} 0
http_request_duration_seconds_bucket{le="0.05",method="POST",route="/api/items",status_code="500"} 0
http_request_duration_seconds_bucket{le="0.1",method="POST",route="/api/items",status_code="500"} 0
http_request_duration_seconds_bucket{le="0.25",method="POST",route="/api/items",status_code="500"} 0
http_request_duration_seconds_bucket{le="0.5",method="POST",route="/api/items",status_code="500"} 0
http_request_duration_seconds_bucket{le="1",method="POST",route="/api/items",status_code="500"} 0
http_request_duration_seconds_bucket{le="2",method="POST",route="/api/items",status_code="500"} 3
http_request_duration_seconds_bucket{le="5",method="POST",route="/api/items",status_code="500"} 3
http_request_duration_seconds_bucket{le="10",method="POST",route="/api/items",status_code="500"} 3
http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/api/items",status_code="500"} 4
http_request_duration_seconds_sum{method="POST",route="/api/items",status_code="500"} 16.5
http_request_duration_seconds_count{method="POST",route="/api/items",status_code="500"} 4

# HELP http_requests_total Total number of HTTP requests\nby method, route and status code
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/api/items",status_code="200"} 90
http_requests_total{method="GET",route="/api/items/:id",status_code="404"} 6
http_requests_total{method="POST",route="/api/items",status_code="500"} 4

# HELP app_build_info Build of the running API \\ one series
# TYPE app_build_info gauge
app_build_info{version="2.1.0",message="fix \"login\", then deploy",path="C:\\builds\\api"} 1
`;

/** The edge cases of the format that both parsers read, for the cross-check. */
const EDGES = String.raw`# A comment before anything, and one that is no HELP:
# HELPER is not a keyword
# HELP msdos_file_access_time_seconds Access time, with a \\ and a\nsecond line
# TYPE msdos_file_access_time_seconds gauge
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9

metric_without_timestamp_and_labels 12.47
something_weird{problem="division by zero"} +Inf -3982045
falling{a="x",} -Inf
no_labels{} NaN
spaced { a = "1" ,b="2,3" }   7.5E-3   1395066363000
http_requests_total{method="post",code="200"} 1027 1395066363000

# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693

# TYPE single_histogram histogram
single_histogram_bucket{le="0.05"} 24054
single_histogram_bucket{le="0.1"} 33444
single_histogram_bucket{le="+Inf"} 144320
single_histogram_sum 53423
single_histogram_count 144320
`;

const familyNamed = (families: MetricFamily[], name: string) => families.find((f) => f.name === name)!;
const thrown = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
};

describe('parsePrometheusText', () => {
  it('reads a prom-client 15 scrape: families in order with their types, help, labels and values', () => {
    const families = parsePrometheusText(SCRAPE);
    expect(families.map((f) => `${f.name}:${f.type}`)).toEqual([
      'process_cpu_user_seconds_total:counter',
      'process_cpu_system_seconds_total:counter',
      'process_cpu_seconds_total:counter',
      'process_start_time_seconds:gauge',
      'process_resident_memory_bytes:gauge',
      'process_open_fds:gauge',
      'nodejs_eventloop_lag_mean_seconds:gauge',
      'nodejs_eventloop_lag_p50_seconds:gauge',
      'nodejs_active_handles:gauge',
      'nodejs_heap_space_size_total_bytes:gauge',
      'nodejs_version_info:gauge',
      'nodejs_gc_duration_seconds:histogram',
      'http_request_duration_seconds:histogram',
      'http_requests_total:counter',
      'app_build_info:gauge',
    ]);
    expect(familyNamed(families, 'process_open_fds').samples).toEqual([{ name: 'process_open_fds', labels: {}, value: 22 }]);
    // prom-client writes NaN as "Nan"; Go's ParseFloat, which Prometheus uses, reads it in any case.
    expect(familyNamed(families, 'nodejs_eventloop_lag_mean_seconds').samples[0]!.value).toBeNaN();
    expect(familyNamed(families, 'nodejs_eventloop_lag_p50_seconds').samples[0]!.value).toBe(5.11e-7);
    // Declared before any observation: kept, without samples.
    expect(familyNamed(families, 'nodejs_active_handles').samples).toEqual([]);
    expect(familyNamed(families, 'nodejs_gc_duration_seconds').help).toBe(
      'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    );

    const requests = familyNamed(families, 'http_requests_total');
    expect(requests.help).toBe('Total number of HTTP requests\nby method, route and status code');
    expect(requests.samples.map((s) => [s.labels.status_code, s.value])).toEqual([
      ['200', 90],
      ['404', 6],
      ['500', 4],
    ]);

    const durations = familyNamed(families, 'http_request_duration_seconds');
    expect(durations.samples).toHaveLength(3 * 14);
    expect(durations.samples[7]).toEqual({
      name: 'http_request_duration_seconds_bucket',
      labels: { le: '1', method: 'GET', route: '/api/items', status_code: '200' },
      value: 90,
    });
    expect(durations.samples[12]).toEqual({
      name: 'http_request_duration_seconds_sum',
      labels: { method: 'GET', route: '/api/items', status_code: '200' },
      value: 11.23,
    });

    const build = familyNamed(families, 'app_build_info');
    expect(build.help).toBe('Build of the running API \\ one series');
    expect(build.samples[0]!.labels).toEqual({ version: '2.1.0', message: 'fix "login", then deploy', path: 'C:\\builds\\api' });
  });

  it('attaches _bucket, _sum, _count and _created to the histogram or summary TYPE declared, and nothing else', () => {
    const families = parsePrometheusText(
      [
        '# TYPE rpc summary',
        'rpc{quantile="0.5"} 0.2',
        'rpc_sum 3',
        'rpc_count 10',
        'rpc_created 1.7e9',
        'rpc_bucket{le="1"} 1',
        '# TYPE lat histogram',
        'lat_bucket{le="1"} 2',
        'lat_bucket{le="+Inf"} 3',
        'lat_sum 1.5',
        'lat_count 3',
        'lat_created 1.7e9',
        'lat_total 3',
        '# TYPE jobs histogram',
        '# TYPE jobs_count gauge',
        'jobs_count 4',
      ].join('\n'),
    );
    expect(families.map((f) => `${f.name}:${f.type}:${f.samples.map((s) => s.name).join(',')}`)).toEqual([
      'rpc:summary:rpc,rpc_sum,rpc_count,rpc_created',
      // A summary has no buckets, so rpc_bucket is a metric of its own.
      'rpc_bucket:untyped:rpc_bucket',
      'lat:histogram:lat_bucket,lat_bucket,lat_sum,lat_count,lat_created',
      'lat_total:untyped:lat_total',
      // A family of the exact name wins over a suffix.
      'jobs:histogram:',
      'jobs_count:gauge:jobs_count',
    ]);
  });

  it('makes an untyped family of samples without TYPE, with a HELP if one came first, and groups them by name', () => {
    const families = parsePrometheusText('# HELP queue_depth Jobs waiting\nqueue_depth{q="a"} 1\nother 2\nqueue_depth{q="b"} 3\n');
    expect(families).toEqual([
      {
        name: 'queue_depth',
        help: 'Jobs waiting',
        type: 'untyped',
        samples: [
          { name: 'queue_depth', labels: { q: 'a' }, value: 1 },
          { name: 'queue_depth', labels: { q: 'b' }, value: 3 },
        ],
      },
      { name: 'other', type: 'untyped', samples: [{ name: 'other', labels: {}, value: 2 }] },
    ]);
  });

  it('reads label escapes, commas and braces inside quotes, {}, a trailing comma and blanks between the parts', () => {
    const samples = parsePrometheusText(
      String.raw`a{path="C:\\x\\y",msg="say \"hi\", then {go}",multi="one\ntwo"} 1
b{} 2
c{x="1",} 3
	d { x = "1" , y="" }  4  
e{__proto__="p"} 5
`,
    ).flatMap((f) => f.samples);
    expect(samples.map((s) => s.labels)).toEqual([
      { path: 'C:\\x\\y', msg: 'say "hi", then {go}', multi: 'one\ntwo' },
      {},
      { x: '1' },
      { x: '1', y: '' },
      Object.fromEntries([['__proto__', 'p']]),
    ]);
    expect(samples.map((s) => s.value)).toEqual([1, 2, 3, 4, 5]);
    expect(Object.getPrototypeOf(samples[4]!.labels)).toBe(Object.prototype);
  });

  it('reads NaN and infinities in any case, scientific notation and optional timestamps', () => {
    const samples = parsePrometheusText(
      ['a NaN', 'b nan', 'c +Inf', 'd -Inf', 'e Inf', 'f +inf', 'g 1.5e3', 'h -2E-2', 'i .5', 'j 1e+06 1700000000000', 'k 7 -100'].join('\n'),
    ).flatMap((f) => f.samples);
    expect(samples.map((s) => s.value)).toEqual([NaN, NaN, Infinity, -Infinity, Infinity, Infinity, 1500, -0.02, 0.5, 1e6, 7]);
    expect(samples.map((s) => s.timestampMs)).toEqual([...Array(9).fill(undefined), 1700000000000, -100]);
    expect('timestampMs' in samples[0]!).toBe(false);
  });

  it('ignores blank lines and other comments, and reads CRLF line ends as LF', () => {
    const lf = parsePrometheusText(EDGES);
    expect(parsePrometheusText(EDGES.replaceAll('\n', '\r\n'))).toEqual(lf);
    expect(parsePrometheusText('\n\n#\n# just a note\n#HELPER\n   \n')).toEqual([]);
    expect(familyNamed(lf, 'msdos_file_access_time_seconds').help).toBe('Access time, with a \\ and a\nsecond line');
    expect(familyNamed(lf, 'spaced').samples).toEqual([{ name: 'spaced', labels: { a: '1', b: '2,3' }, value: 0.0075, timestampMs: 1395066363000 }]);
  });

  it('keeps an unknown escape in HELP as written: help is for people, and a scrape is not lost over it', () => {
    expect(parsePrometheusText('# HELP x a \\d b\\\n')[0]!.help).toBe('a \\d b\\');
  });

  it.each([
    ['up{job="a" 1', 'expected "," or "}" after the value of the label job at column 12'],
    ['up{job=a} 1', 'expected a quoted value for the label job at column 8'],
    ['up{job="a} 1', 'expected a closing quote for the label value'],
    ['up{job="a\\x"} 1', 'expected \\\\, \\" or \\n (the only escapes in a label value) at column 10'],
    ['up{job="a",job="b"} 1', 'expected each label once, but job appears again'],
    ['up{1job="a"} 1', 'expected a label name or "}" at column 4'],
    ['up{job "a"} 1', 'expected "=" after the label name job'],
    ['{job="a"} 1', 'expected a metric name at column 1'],
    ['up-time 1', 'expected a blank or "{" after the metric name up at column 3'],
    ['up', 'expected a value after up'],
    ['up{}', 'expected a value after up'],
    ['up one', 'expected a number, NaN, +Inf or -Inf as the value of up, got "one"'],
    ['up 1 1.5e3', 'expected an integer timestamp in milliseconds after the value of up, got "1.5e3"'],
    ['up 1 2 3', 'expected the end of the line after the timestamp at column 8'],
    ['# TYPE up countr', 'expected counter, gauge, histogram, summary or untyped as the type of up, got "countr"'],
    ['# TYPE up', 'expected counter, gauge, histogram, summary or untyped as the type of up, got ""'],
    ['# TYPE up counter extra', 'got "counter extra"'],
    ['# HELP 9lives x', 'expected a metric name after # HELP, got "9lives"'],
  ])('refuses %j, saying what it expected', (line, message) => {
    const err = thrown(() => parsePrometheusText(`ok 1\n\n${line}\n`));
    expect(err.name).toBe('UserError');
    expect(err.message).toContain('metrics text line 3: ');
    expect(err.message).toContain(message);
    expect(err.message).toContain(`in: ${line}`);
  });

  it('refuses what the Prometheus server refuses across lines: second HELP or TYPE, TYPE after samples, a bucket without le', () => {
    expect(() => parsePrometheusText('# TYPE up gauge\n# TYPE up counter')).toThrow(
      'metrics text line 2: expected one TYPE line for up, but line 1 has one already',
    );
    expect(() => parsePrometheusText('# HELP up a\n# HELP up b')).toThrow(
      'metrics text line 2: expected one HELP line for up, but line 1 has one already',
    );
    expect(() => parsePrometheusText('up 1\n# TYPE up gauge')).toThrow(
      'metrics text line 2: expected the TYPE line for up before its samples, not after them',
    );
    expect(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="x"} 1')).toThrow(
      'metrics text line 2: expected a numeric le label on h_bucket, such as le="0.5" or le="+Inf"; got "x"',
    );
    expect(() => parsePrometheusText('# TYPE h histogram\nh_bucket 1')).toThrow('got none');
    expect(() => parsePrometheusText('# TYPE s summary\ns 1')).toThrow('metrics text line 2: expected a numeric quantile label on s');
    expect(() => parsePrometheusText('# TYPE h histogram\nh 1')).toThrow(
      'metrics text line 2: expected h_bucket, h_sum or h_count: h is a histogram',
    );
  });

  it.each([
    ['the prom-client scrape', SCRAPE],
    ['the edge cases', EDGES],
    ['the edge cases with CRLF', EDGES.replaceAll('\n', '\r\n')],
  ])('agrees with parse-prometheus-text-format on %s: names, types, help and values', (_, text) => {
    const ours = parsePrometheusText(text);
    const theirs = parseWithPackage(text);
    expect(theirs.map((f) => [f.name, f.type.toLowerCase(), f.help])).toEqual(ours.map((f) => [f.name, f.type, f.help ?? '']));
    ours.forEach((family, i) => {
      const expected = packageSamples(theirs[i]!);
      if (!packageFlattens(family)) {
        expect(byKey(family.samples)).toEqual(byKey(expected));
        return;
      }
      // It keeps one bucket (or quantile) per bound, the last series' one, and drops labelled _sum and _count.
      expect(expected.length).toBeGreaterThan(0);
      for (const sample of expected) {
        const same = family.samples.filter((s) => s.name === sample.name && Object.entries(sample.labels).every(([k, v]) => s.labels[k] === v));
        expect(same.at(-1)!.value).toEqual(sample.value);
      }
    });
  });
});

/** Whether the package flattens this family's series into one, losing their labels. */
function packageFlattens(family: MetricFamily): boolean {
  const bounded = family.type === 'histogram' || family.type === 'summary';
  return bounded && family.samples.some((s) => Object.keys(s.labels).some((l) => l !== 'le' && l !== 'quantile'));
}

/** The package's family as our samples: it groups a histogram's buckets and a summary's quantiles under one object. */
function packageSamples(family: PackageFamily): { name: string; labels: Record<string, string>; value: number; timestampMs?: number }[] {
  const num = (text: string) => (/^[+-]?inf$/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : /^nan$/i.test(text) ? NaN : Number(text));
  return family.metrics.flatMap((m) => {
    const labels = m.labels ?? {};
    const stamp = m.timestamp_ms === undefined ? {} : { timestampMs: Number(m.timestamp_ms) };
    return [
      ...(m.value === undefined ? [] : [{ name: family.name, labels, value: num(m.value), ...stamp }]),
      ...Object.entries(m.buckets ?? {}).map(([le, v]) => ({ name: `${family.name}_bucket`, labels: { ...labels, le }, value: num(v) })),
      ...Object.entries(m.quantiles ?? {}).map(([quantile, v]) => ({ name: family.name, labels: { ...labels, quantile }, value: num(v) })),
      ...(m.sum === undefined ? [] : [{ name: `${family.name}_sum`, labels, value: num(m.sum) }]),
      ...(m.count === undefined ? [] : [{ name: `${family.name}_count`, labels, value: num(m.count) }]),
    ];
  });
}

function byKey<T extends { name: string; labels: Record<string, string> }>(samples: T[]): T[] {
  const key = (s: T) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
  return [...samples].sort((a, b) => key(a).localeCompare(key(b)));
}

describe('metric deltas', () => {
  const scrape = parsePrometheusText(SCRAPE);
  const is5xx = (labels: Record<string, string>) => labels.status_code?.startsWith('5') ?? false;

  it('totals a counter over the series a filter keeps; undefined only when the scrape lacks the metric', () => {
    expect(counterTotal(scrape, 'http_requests_total')).toBe(100);
    expect(counterTotal(scrape, 'http_requests_total', is5xx)).toBe(4);
    expect(counterTotal(scrape, 'http_requests_total', (l) => l.route === '/nowhere')).toBe(0);
    expect(counterTotal(scrape, 'http_requests_missing')).toBeUndefined();
    // prom-client declares a labelled counter before its first increment: nothing counted yet is 0.
    expect(counterTotal(parsePrometheusText('# HELP e_total Errors\n# TYPE e_total counter\n'), 'e_total')).toBe(0);
    expect(counterTotal(parsePrometheusText('legacy_total 5\n'), 'legacy_total')).toBe(5);
    expect(() => counterTotal(scrape, 'http_request_duration_seconds')).toThrow(
      'http_request_duration_seconds is a histogram in the scraped metrics, not a counter',
    );
  });

  it('takes a counter that went down as a restart that counted from zero, as increase() does', () => {
    expect(counterDelta(100, 130)).toBe(30);
    expect(counterDelta(100, 100)).toBe(0);
    expect(counterDelta(100, 7)).toBe(7);
    expect(counterDelta(100, 0)).toBe(0);
  });

  it('sums a histogram by le over the series a filter keeps, sorted and with +Inf', () => {
    const all = histogramBuckets(scrape, 'http_request_duration_seconds')!;
    expect(all.buckets).toEqual(
      [
        [0.005, 16],
        [0.01, 16],
        [0.025, 46],
        [0.05, 46],
        [0.1, 76],
        [0.25, 76],
        [0.5, 91],
        [1, 96],
        [2, 99],
        [5, 99],
        [10, 99],
        [Infinity, 100],
      ].map(([le, count]) => ({ le, count })),
    );
    expect(all.count).toBe(100);
    expect(all.sum).toBeCloseTo(27.754, 9);
    // The filter sees a series' labels without le.
    const ok = histogramBuckets(scrape, 'http_request_duration_seconds', (l) => !('le' in l) && !is5xx(l))!;
    expect(ok.buckets.at(-1)).toEqual({ le: Infinity, count: 96 });
    expect(ok.count).toBe(96);
    expect(histogramBuckets(scrape, 'nodejs_gc_duration_seconds')).toEqual({ buckets: [], sum: 0, count: 0 });
    expect(histogramBuckets(scrape, 'missing_seconds')).toBeUndefined();
    expect(() => histogramBuckets(scrape, 'process_open_fds')).toThrow('process_open_fds is a gauge in the scraped metrics, not a histogram');
    // "1" and "1.0" are one bucket.
    const spelled = parsePrometheusText('# TYPE h histogram\nh_bucket{le="1",a="x"} 2\nh_bucket{le="1.0",a="y"} 3\nh_bucket{le="+Inf",a="x"} 4\n');
    expect(histogramBuckets(spelled, 'h')!.buckets).toEqual([
      { le: 1, count: 5 },
      { le: Infinity, count: 4 },
    ]);
  });

  it('gives the per-bucket gain between scrapes, and the current buckets after a restart', () => {
    const prev = buckets([1, 10], [2, 12], [Infinity, 13]);
    expect(bucketDelta(prev, buckets([1, 15], [2, 20], [Infinity, 21]))).toEqual(buckets([1, 5], [2, 8], [Infinity, 8]));
    expect(bucketDelta(prev, prev)).toEqual(buckets([1, 0], [2, 0], [Infinity, 0]));
    // Any bucket, or +Inf alone, going down: a new process.
    expect(bucketDelta(prev, buckets([1, 3], [2, 12], [Infinity, 13]))).toEqual(buckets([1, 3], [2, 12], [Infinity, 13]));
    expect(bucketDelta(prev, buckets([1, 10], [2, 12], [Infinity, 12]))).toEqual(buckets([1, 10], [2, 12], [Infinity, 12]));
    // No series yet at the first scrape, or other buckets: nothing to subtract.
    expect(bucketDelta([], buckets([1, 2], [Infinity, 3]))).toEqual(buckets([1, 2], [Infinity, 3]));
    expect(bucketDelta(prev, buckets([0.5, 1], [1, 11], [2, 12], [Infinity, 14]))).toEqual(buckets([0.5, 1], [1, 11], [2, 12], [Infinity, 14]));
  });

  it('computes quantiles of the scrape as PromQL would', () => {
    const all = histogramBuckets(scrape, 'http_request_duration_seconds')!.buckets;
    expect(histogramQuantile(0.95, all)).toBeCloseTo(0.9, 12); // 0.5 + 0.5 * (95 - 91) / 5
    expect(histogramQuantile(0.99, all)).toBe(2); // 1 + 1 * (99 - 96) / 3
    expect(histogramQuantile(0.5, all)).toBeCloseTo(0.05 + (0.05 * 4) / 30, 12);
    expect(histogramQuantile(0.999, all)).toBe(10); // in +Inf: the highest finite bound
  });

  it('interpolates within one bucket, from 0 when the first bucket holds everything', () => {
    const one = buckets([0.1, 0], [0.2, 10], [0.5, 10], [Infinity, 10]);
    expect(histogramQuantile(0.5, one)).toBeCloseTo(0.15, 12);
    expect(histogramQuantile(1, one)).toBe(0.2);
    expect(histogramQuantile(0.5, buckets([0.2, 10], [Infinity, 10]))).toBe(0.1);
    expect(histogramQuantile(0, buckets([0.2, 10], [Infinity, 10]))).toBe(0);
  });

  it('interpolates linearly over uniform buckets at p50, p95 and p99', () => {
    const uniform = buckets(...Array.from({ length: 10 }, (_, i): [number, number] => [i + 1, (i + 1) * 10]), [Infinity, 100]);
    expect(histogramQuantile(0.5, uniform)).toBe(5);
    expect(histogramQuantile(0.95, uniform)).toBeCloseTo(9.5, 12);
    expect(histogramQuantile(0.99, uniform)).toBeCloseTo(9.9, 12);
  });

  it('returns the highest finite bound when the rank falls in +Inf', () => {
    expect(histogramQuantile(0.5, buckets([1, 1], [2, 2], [Infinity, 10]))).toBe(2);
    expect(histogramQuantile(0.99, buckets([1, 0], [Infinity, 100]))).toBe(1);
  });

  it('returns undefined where PromQL returns NaN, and ±Infinity for q outside [0, 1]', () => {
    expect(histogramQuantile(0.95, buckets([1, 0], [2, 0], [Infinity, 0]))).toBeUndefined();
    expect(histogramQuantile(0.95, [])).toBeUndefined();
    expect(histogramQuantile(0.95, buckets([Infinity, 10]))).toBeUndefined();
    expect(histogramQuantile(0.95, buckets([1, 5], [2, 10]))).toBeUndefined();
    expect(histogramQuantile(NaN, buckets([1, 5], [Infinity, 10]))).toBeUndefined();
    expect(histogramQuantile(0, buckets([1, 0], [2, 5], [Infinity, 10]))).toBeUndefined(); // 0/0 in the empty first bucket
    expect(histogramQuantile(-0.1, buckets([1, 5], [Infinity, 10]))).toBe(-Infinity);
    expect(histogramQuantile(1.1, buckets([1, 5], [Infinity, 10]))).toBe(Infinity);
  });

  it('returns the upper bound of a first bucket at or below 0 instead of interpolating from 0', () => {
    expect(histogramQuantile(0.25, buckets([0, 5], [1, 10], [Infinity, 10]))).toBe(0);
    expect(histogramQuantile(0.1, buckets([-2, 5], [Infinity, 10]))).toBe(-2);
    expect(histogramQuantile(0.75, buckets([0, 5], [1, 10], [Infinity, 10]))).toBe(0.5);
  });

  it('keeps a threshold exact: p95 is at most 1 s exactly when 95 of 100 requests took at most 1 s', () => {
    const at = (underOne: number) => buckets([0.5, 50], [1, underOne], [2, 100], [Infinity, 100]);
    expect(histogramQuantile(0.95, at(96))!).toBeLessThanOrEqual(1);
    expect(histogramQuantile(0.95, at(95))).toBe(1);
    expect(histogramQuantile(0.95, at(94))!).toBeGreaterThan(1);
    expect(histogramQuantile(0.95, buckets([1, 96], [2, 100], [Infinity, 100]))!).toBeLessThanOrEqual(1);
    expect(histogramQuantile(0.95, buckets([1, 950], [2, 1000], [Infinity, 1000]))).toBe(1);
    expect(histogramQuantile(0.99, buckets([1, 99], [2, 100], [Infinity, 100]))).toBe(1);
  });

  it('sorts the buckets, merges equal bounds and raises a count that dips below a lower bucket, as PromQL does', () => {
    expect(histogramQuantile(0.5, buckets([Infinity, 10], [2, 10], [1, 4]))).toBe(1 + (5 - 4) / 6);
    expect(histogramQuantile(0.5, buckets([1, 2], [1, 2], [2, 10], [Infinity, 10]))).toBe(1 + (5 - 4) / 6);
    // le=2 read before le=1 caught up: PromQL's ensureMonotonic treats it as 10.
    const dipped = buckets([1, 10], [2, 8], [5, 20], [Infinity, 20]);
    expect(histogramQuantile(0.5, dipped)).toBe(1);
    expect(histogramQuantile(0.6, dipped)).toBeCloseTo(2 + (3 * 2) / 10, 12);
    expect(dipped[1]).toEqual({ le: 2, count: 8 }); // the input is left as it was
  });

  it('computes an interval quantile from the bucket gains between two scrapes', () => {
    const before = buckets([0.5, 100], [1, 100], [2, 100], [Infinity, 100]);
    const after = buckets([0.5, 150], [1, 195], [2, 200], [Infinity, 200]);
    expect(histogramQuantile(0.95, bucketDelta(before, after))).toBe(1);
  });

  it('calls an error rate inconclusive below minRequests, never 0%', () => {
    expect(errorRate(20, 1, 20)).toEqual({ rate: 0.05, requests: 20 });
    expect(errorRate(20, 0, 20)).toEqual({ rate: 0, requests: 20 });
    expect(errorRate(19, 0, 20)).toEqual({ requests: 19, inconclusive: '19 requests in the interval, fewer than 20' });
    expect(errorRate(1, 1, 20)).toEqual({ requests: 1, inconclusive: '1 request in the interval, fewer than 20' });
    expect(errorRate(0, 0, 20)).toEqual({ requests: 0, inconclusive: 'no requests in the interval' });
    expect(errorRate(0, 0, 0)).toEqual({ requests: 0, inconclusive: 'no requests in the interval' });
    const total = counterTotal(scrape, 'http_requests_total')!;
    expect(errorRate(counterDelta(0, total), counterDelta(0, counterTotal(scrape, 'http_requests_total', is5xx)!), 20)).toEqual({
      rate: 0.04,
      requests: 100,
    });
  });
});

function buckets(...pairs: [number, number][]): Bucket[] {
  return pairs.map(([le, count]) => ({ le, count }));
}
