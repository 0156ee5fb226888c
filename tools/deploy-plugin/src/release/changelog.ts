import { existsSync, readFileSync } from 'node:fs';

/** The body of one version's section in a Changesets CHANGELOG.md (`## 1.2.0` up to the next `## `). */
export function changelogSection(markdown: string, version: string): string | undefined {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${version}`);
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  const body = lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .trim();
  return body || undefined;
}

export function releaseNotes(changelog: string | undefined, version: string): string {
  const section = changelog && existsSync(changelog) ? changelogSection(readFileSync(changelog, 'utf8'), version) : undefined;
  return section ?? `Release ${version}.`;
}
