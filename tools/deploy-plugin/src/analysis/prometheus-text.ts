import { UserError } from '../core/errors.ts';

/**
 * A parser of the Prometheus text exposition format 0.0.4, what prom-client and every other
 * Prometheus client serve on /metrics. No maintained npm package parses it, so we own this one.
 * It refuses what the Prometheus text parser (expfmt) refuses, with the line number and what was
 * expected, but for two leniencies: CRLF line ends, and unknown escapes in HELP kept as written.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The full sample name: a histogram's samples are named `<family>_bucket`, `_sum`, `_count`. */
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  help?: string;
  type: MetricType;
  samples: Sample[];
}

const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
// Case-insensitive like Go's ParseFloat, which the server uses: prom-client 15 writes NaN as "Nan".
const SPECIAL = /^(?:([+-]?)inf(?:inity)?|nan)$/i;
// The suffixes that tie a sample to its histogram or summary; `_created` comes from OpenMetrics-minded clients.
const SUFFIXES: Record<string, readonly MetricType[]> = {
  _bucket: ['histogram'],
  _sum: ['histogram', 'summary'],
  _count: ['histogram', 'summary'],
  _created: ['histogram', 'summary'],
};

/** Pure: a sample value, `le` or `quantile` as a number (NaN, +Inf and -Inf included); undefined when it is none. */
export function parseNumber(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  const special = SPECIAL.exec(text);
  if (!special) return undefined;
  if (special[1] === undefined) return NaN;
  return special[1] === '-' ? -Infinity : Infinity;
}

/**
 * Pure: the metric families of a scrape, in the order they first appear, each with its samples in
 * text order. Families declared by HELP or TYPE but without samples are kept (prom-client declares
 * a labelled metric before its first observation). Throws a UserError naming the line on a malformed line.
 */
export function parsePrometheusText(text: string): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  // Where HELP and TYPE were seen, to refuse a second one as the server does.
  const declared = new Map<string, { help?: number; type?: number }>();
  text.split(/\r?\n/).forEach((line, index) => {
    const lineNo = index + 1;
    const content = line.replace(/^[ \t]+/, '');
    if (content === '') return;
    if (content.startsWith('#')) return declare(content, lineNo, families, declared);
    const sample = parseSampleLine(line, lineNo);
    const family = familyOf(sample, families);
    checkShape(sample, family, lineNo, line);
    family.samples.push(sample);
  });
  return [...families.values()];
}

function declare(line: string, lineNo: number, families: Map<string, MetricFamily>, declared: Map<string, { help?: number; type?: number }>): void {
  const m = /^#[ \t]*(HELP|TYPE)[ \t]+(.*)$/.exec(line);
  if (!m || m[2]!.trim() === '') return; // any other comment
  const keyword = m[1] as 'HELP' | 'TYPE';
  const [, name = '', rest = ''] = /^(\S+)(?:[ \t]+(.*))?$/.exec(m[2]!) ?? [];
  if (!isWhole(METRIC_NAME, name)) fail(lineNo, `a metric name after # ${keyword}, got "${name}"`, line);
  const family = families.get(name) ?? { name, type: 'untyped', samples: [] };
  const seen = declared.get(name) ?? {};
  if (keyword === 'HELP') {
    if (seen.help !== undefined) fail(lineNo, `one HELP line for ${name}, but line ${seen.help} has one already`, line);
    family.help = unescapeHelp(rest);
    seen.help = lineNo;
  } else {
    const type = rest.trim();
    if (!(TYPES as readonly string[]).includes(type))
      fail(lineNo, `counter, gauge, histogram, summary or untyped as the type of ${name}, got "${type}"`, line);
    if (seen.type !== undefined) fail(lineNo, `one TYPE line for ${name}, but line ${seen.type} has one already`, line);
    if (family.samples.length) fail(lineNo, `the TYPE line for ${name} before its samples, not after them`, line);
    family.type = type as MetricType;
    seen.type = lineNo;
  }
  families.set(name, family);
  declared.set(name, seen);
}

/** HELP text escapes only `\\` and `\n`; any other backslash is kept as written, since help is only for people. */
function unescapeHelp(text: string): string {
  return text.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** One sample line: `name{label="value",...} value [timestamp]`, blanks allowed between the parts. */
function parseSampleLine(line: string, lineNo: number): Sample {
  let pos = 0;
  const expected = (what: string): never => fail(lineNo, `${what} at column ${pos + 1}`, line);
  const skipBlanks = () => {
    while (line[pos] === ' ' || line[pos] === '\t') pos++;
  };
  const token = (re: RegExp): string | undefined => {
    re.lastIndex = pos;
    const m = re.exec(line);
    if (m) pos = re.lastIndex;
    return m?.[0];
  };

  skipBlanks();
  const name = token(METRIC_NAME) ?? expected('a metric name');
  if (pos < line.length && !' \t{'.includes(line[pos]!)) expected(`a blank or "{" after the metric name ${name}`);
  skipBlanks();
  // Entries, not an object, until the end: a label named __proto__ must stay a label.
  const labels = new Map<string, string>();
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      skipBlanks();
      if (line[pos] === '}') break; // also ends a label set with a trailing comma
      const label = token(LABEL_NAME) ?? expected('a label name or "}"');
      if (labels.has(label)) expected(`each label once, but ${label} appears again`);
      skipBlanks();
      if (line[pos] !== '=') expected(`"=" after the label name ${label}`);
      pos++;
      skipBlanks();
      if (line[pos] !== '"') expected(`a quoted value for the label ${label}`);
      pos++;
      labels.set(label, labelValue());
      skipBlanks();
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') expected(`"," or "}" after the value of the label ${label}`);
    }
    pos++;
    skipBlanks();
  }

  const valueText = token(/[^ \t]+/y) ?? expected(`a value after ${name}`);
  const value = parseNumber(valueText) ?? fail(lineNo, `a number, NaN, +Inf or -Inf as the value of ${name}, got "${valueText}"`, line);
  skipBlanks();
  const sample: Sample = { name, labels: Object.fromEntries(labels), value };
  if (pos < line.length) {
    const stamp = token(/[^ \t]+/y)!;
    if (!/^[+-]?\d+$/.test(stamp)) fail(lineNo, `an integer timestamp in milliseconds after the value of ${name}, got "${stamp}"`, line);
    sample.timestampMs = Number(stamp);
    skipBlanks();
    if (pos < line.length) expected('the end of the line after the timestamp');
  }
  return sample;

  // A quoted label value after its opening quote: the escapes are \\, \" and \n, as the server allows.
  function labelValue(): string {
    let value = '';
    for (;;) {
      const c = line[pos++];
      if (c === undefined) return expected('a closing quote for the label value');
      if (c === '"') return value;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const escaped = line[pos++];
      if (escaped === '\\' || escaped === '"') value += escaped;
      else if (escaped === 'n') value += '\n';
      else {
        pos -= 2;
        expected('\\\\, \\" or \\n (the only escapes in a label value)');
      }
    }
  }
}

/**
 * The family a sample belongs to: the one of its exact name, else the histogram or summary its name
 * is a suffixed sample of, else a new untyped family (a sample without TYPE).
 */
function familyOf(sample: Sample, families: Map<string, MetricFamily>): MetricFamily {
  const exact = families.get(sample.name);
  if (exact) return exact;
  for (const [suffix, types] of Object.entries(SUFFIXES)) {
    const base = sample.name.endsWith(suffix) ? families.get(sample.name.slice(0, -suffix.length)) : undefined;
    if (base && types.includes(base.type)) return base;
  }
  const family: MetricFamily = { name: sample.name, type: 'untyped', samples: [] };
  families.set(sample.name, family);
  return family;
}

/** Buckets and quantiles need their bound, or no quantile can be computed from them later. */
function checkShape(sample: Sample, family: MetricFamily, lineNo: number, line: string): void {
  const n = family.name;
  if (family.type === 'histogram' && sample.name === n) fail(lineNo, `${n}_bucket, ${n}_sum or ${n}_count: ${n} is a histogram`, line);
  const bound =
    family.type === 'histogram' && sample.name === `${n}_bucket` ? 'le' : family.type === 'summary' && sample.name === n ? 'quantile' : undefined;
  if (bound && parseNumber(sample.labels[bound] ?? '') === undefined) {
    const got = sample.labels[bound] === undefined ? 'none' : `"${sample.labels[bound]}"`;
    fail(lineNo, `a numeric ${bound} label on ${sample.name}, such as ${bound}="0.5" or ${bound}="+Inf"; got ${got}`, line);
  }
}

function isWhole(re: RegExp, text: string): boolean {
  re.lastIndex = 0;
  return re.exec(text)?.[0] === text && text !== '';
}

function fail(lineNo: number, what: string, line: string): never {
  const shown = line.length > 200 ? `${line.slice(0, 200)}…` : line;
  throw new UserError(`metrics text line ${lineNo}: expected ${what}, in: ${shown}`);
}
