import type { ReleasePackage } from '../publishers/publisher.ts';

export interface PackageOutcome {
  pkg: ReleasePackage;
  result: 'published' | 'already published' | 'failed' | 'skipped';
  reason?: string;
  durationMs: number;
  tag?: string;
  release?: string;
}

/** The table printed at the end of a release. */
export function renderReleaseSummary(outcomes: PackageOutcome[]): string {
  const head = ['package', 'kind', 'version', 'result', 'time', 'tag / release / reason'];
  const rows = outcomes.map((o) => [
    o.pkg.name,
    o.pkg.kind,
    o.pkg.version,
    o.result,
    `${(o.durationMs / 1000).toFixed(1)} s`,
    [o.tag, o.release, o.reason?.split('\n')[0]].filter(Boolean).join('  '),
  ]);
  const widths = head.map((_, c) => Math.max(...[head, ...rows].map((r) => r[c]!.length)));
  const counts = ['published', 'already published', 'failed', 'skipped']
    .map((r) => `${outcomes.filter((o) => o.result === r).length} ${r}`)
    .join(', ');
  return [
    'Release summary',
    ...[head, ...rows].map(
      (r) =>
        `  ${r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}`,
    ),
    `  ${counts}`,
  ].join('\n');
}
