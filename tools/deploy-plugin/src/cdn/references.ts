import { posix } from 'node:path';

const ATTRIBUTE = /\b(?:src|href)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;

/**
 * Pure: the site files an HTML page loads (scripts, styles, icons, images, preloads), as
 * site-relative paths. Links to other sites, data: URLs and fragments are not files of the site.
 */
export function referencedPaths(html: string, htmlPath: string): string[] {
  const found = new Set<string>();
  for (const m of html.matchAll(ATTRIBUTE)) {
    const raw = (m[1] ?? m[2] ?? '').trim().split(/[?#]/)[0]!;
    if (!raw || /^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('//')) continue;
    const joined = raw.startsWith('/') ? raw.slice(1) : posix.join(posix.dirname(htmlPath), raw);
    const path = posix.normalize(joined);
    if (path.startsWith('..') || path === '.' || path.endsWith('/')) continue;
    found.add(decodeURI(path));
  }
  return [...found];
}
