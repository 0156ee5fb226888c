/** What the store remembers of one release of a site. */
export interface ReleaseEntry {
  id: string;
  version: string;
  gitSha: string;
  deployId: string;
  createdAt: string;
  /** When it last went live, and when it last stopped serving (unset while it serves). */
  servedAt: string;
  retiredAt?: string;
  files: number;
  bytes: number;
  /** Its files were removed: it can no longer be rolled back to. */
  pruned?: boolean;
}

/** A site's releases in an environment, and which one serves. */
export interface ReleaseIndex {
  current?: string;
  releases: ReleaseEntry[];
}

/** Pure: the index after `entry` went live at `now` (the one it replaces is retired then). */
export function switched(index: ReleaseIndex, entry: Omit<ReleaseEntry, 'servedAt' | 'retiredAt' | 'createdAt'>, now: string): ReleaseIndex {
  const old = index.releases.find((r) => r.id === entry.id);
  const releases = index.releases
    .filter((r) => r.id !== entry.id)
    .map((r) => (r.id === index.current && !r.retiredAt ? { ...r, retiredAt: now } : r));
  const { retiredAt: _, pruned: __, ...kept } = old ?? ({} as Partial<ReleaseEntry>);
  return { current: entry.id, releases: [...releases, { ...kept, ...entry, createdAt: old?.createdAt ?? now, servedAt: now }] };
}

/**
 * Pure: which releases keep their files. The serving one; the `keep` most recently served; and
 * any that stopped serving less than `graceMs` ago, since pages opened from it still load its
 * chunks. Everything else (not yet pruned) may go.
 */
export function retention(index: ReleaseIndex, now: number, keep: number, graceMs: number): { kept: string[]; expired: string[] } {
  const live = index.releases.filter((r) => !r.pruned);
  const byRecency = [...live].sort((a, b) => Date.parse(b.servedAt) - Date.parse(a.servedAt));
  const kept = new Set(byRecency.slice(0, keep).map((r) => r.id));
  if (index.current) kept.add(index.current);
  for (const r of live) if (r.retiredAt && now - Date.parse(r.retiredAt) < graceMs) kept.add(r.id);
  return { kept: live.filter((r) => kept.has(r.id)).map((r) => r.id), expired: live.filter((r) => !kept.has(r.id)).map((r) => r.id) };
}

/** Pure: the release a rollback goes to: the one named (an id or a unique prefix of one), else the one served before the current one. */
export function rollbackTarget(index: ReleaseIndex, to: string | undefined): { entry?: ReleaseEntry; problem?: string } {
  if (to) {
    const matches = index.releases.filter((r) => r.id.startsWith(to));
    if (matches.length === 0) return { problem: `no release ${to}; the releases are ${describe(index)}` };
    if (matches.length > 1) return { problem: `${to} matches ${matches.map((r) => r.id).join(', ')}: give more of the id` };
    const entry = matches[0]!;
    if (entry.id === index.current) return { problem: `release ${entry.id} already serves` };
    return { entry };
  }
  const previous = index.releases
    .filter((r) => r.id !== index.current && !r.pruned)
    .sort((a, b) => Date.parse(b.servedAt) - Date.parse(a.servedAt))[0];
  return previous ? { entry: previous } : { problem: `there is no earlier release to go back to (${describe(index)})` };
}

function describe(index: ReleaseIndex): string {
  if (!index.releases.length) return 'none yet';
  return index.releases.map((r) => `${r.id} (${r.version}${r.id === index.current ? ', serving' : r.pruned ? ', pruned' : ''})`).join(', ');
}
