// Medians, ratios and the printed table of the inference benchmark.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const ratio = (a, b) => (a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`);
const ms = (v) => (v === undefined ? '-' : String(Math.round(v)));

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/**
 * results: [{ name, cold: ms[], warm: ms[] }]; `baseline` and `anchor` name two of them, `subject`
 * the one the goals are about. Returns the text to print and whether each goal was met.
 */
export function summarize(results, { baseline, anchor, subject, goals }) {
  const med = Object.fromEntries(results.map((r) => [r.name, { cold: median(r.cold), warm: median(r.warm) }]));
  const base = med[baseline];
  const anc = med[anchor];
  const rows = [['variant', 'cold ms', 'warm ms', 'cold/none', 'warm/none', 'cold/anchor', 'warm/anchor']];
  for (const r of results) {
    const m = med[r.name];
    rows.push([
      r.name,
      ms(m.cold),
      ms(m.warm),
      ratio(m.cold, base.cold),
      ratio(m.warm, base.warm),
      ratio(m.cold, anc?.cold),
      ratio(m.warm, anc?.warm),
    ]);
  }
  const runs = results.map((r) => `  ${r.name}: cold [${r.cold.map(ms).join(', ')}]  warm [${r.warm.map(ms).join(', ')}]`);

  // The goal is against the do-nothing plugin measured in the same run: what Nx charges any plugin
  // (a worker process, merging its results) is not ours to win back. Each round's ratio pairs runs
  // made seconds apart, so load that comes and goes on a shared machine cancels out; their median
  // is the figure.
  const subj = results.find((r) => r.name === subject);
  const anchorRuns = results.find((r) => r.name === anchor);
  const roundRatios = (kind) => subj[kind].map((v, i) => v / anchorRuns[kind][i]);
  const coldRatio = median(roundRatios('cold'));
  const warmRatio = median(roundRatios('warm'));
  const coldOk = coldRatio <= goals.cold;
  const warmOk = warmRatio <= goals.warm;
  const goalLines = [
    `per-round ratios ${subject}/${anchor}: cold [${roundRatios('cold')
      .map((r) => r.toFixed(2))
      .join(', ')}]  warm [${roundRatios('warm')
      .map((r) => r.toFixed(2))
      .join(', ')}]`,
    `goal: ${subject} cold <= ${goals.cold.toFixed(2)}x ${anchor} (median of per-round ratios): ${coldRatio.toFixed(3)}x ${coldOk ? 'PASS' : 'MISS'}`,
    `goal: ${subject} warm <= ${goals.warm.toFixed(2)}x ${anchor} (median of per-round ratios): ${warmRatio.toFixed(3)}x ${warmOk ? 'PASS' : 'MISS'}`,
  ];
  return { text: [table(rows), '', 'all runs (ms):', ...runs, '', ...goalLines].join('\n'), coldOk, warmOk };
}
