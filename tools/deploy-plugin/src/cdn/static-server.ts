import { createReadStream, statSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, posix } from 'node:path';
import { contentTypeOf, IMMUTABLE, REVALIDATE } from './content-types.ts';

function fileAt(path: string): Stats | undefined {
  try {
    const s = statSync(path);
    return s.isFile() ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves a site folder of the fs provider: the current release's files (revalidated), the assets
 * of every kept release from the pool (cached for a year: open tabs of an older release still
 * load their chunks), index.html for an extensionless page path (client-side routes), and a real
 * 404 for anything else: never index.html in place of a missing script.
 */
export function siteHandler(dir: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = posix.normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '');
    } catch {
      res.writeHead(400).end('bad path\n');
      return;
    }
    if (path.startsWith('..')) {
      res.writeHead(404).end('not found\n');
      return;
    }
    if (path === '' || path.endsWith('/')) path += 'index.html';
    const candidates: [string, string][] = [
      [join(dir, 'pool', path), IMMUTABLE],
      [join(dir, 'current', path), REVALIDATE],
    ];
    const pageRoute = extname(path) === '' && (req.headers.accept ?? '').includes('text/html');
    if (pageRoute) candidates.push([join(dir, 'current', 'index.html'), REVALIDATE]);
    for (const [file, cacheControl] of candidates) {
      const stat = fileAt(file);
      if (!stat) continue;
      const etag = `"${stat.size.toString(16)}-${stat.mtimeMs.toString(16)}"`;
      const headers = { 'content-type': contentTypeOf(file), 'cache-control': cacheControl, etag, 'content-length': String(stat.size) };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag, 'cache-control': cacheControl }).end();
        return;
      }
      res.writeHead(200, headers);
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`not found: /${path}\n`);
  };
}
