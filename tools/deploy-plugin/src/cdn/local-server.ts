import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { staticServer } from '../commands/static-server.ts';
import { UserError } from '../core/errors.ts';
import { probe } from '../core/http.ts';
import { poll, pollFailure } from '../core/poll.ts';
import type { Logger } from '../core/log.ts';
import { describeHolder, portHolder } from '../core/ports.ts';
import { commandLineOf, isAlive } from '../core/processes.ts';
import type { Runner } from '../core/run.ts';

// The server has this file's extension: .ts in the workspace, .js in the published build.
const SERVE = fileURLToPath(new URL(`./serve${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

interface ServerRecord {
  pid: number;
  argv: string[];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Pure: whether a running command line is the static server `argv` would start: the same server
 * script serving the same folder on the same address. Which Node ran it and from which checkout
 * does not matter (a CI runner's next job clones the workspace afresh; the server keeps serving).
 */
export function sameServer(running: string[] | undefined, argv: string[]): boolean {
  if (!running || running.length !== argv.length) return false;
  return basename(running[1] ?? '').replace(/\.[jt]s$/, '') === 'serve' && running.slice(2).join('\0') === argv.slice(2).join('\0');
}

/**
 * Keeps a static server running for an fs site whose URL is on loopback (the development
 * default): started once, detached, and left running across deploys, which switch what it
 * serves without restarting it. A site on another host is served by the team's own web server.
 */
export async function ensureServed(dir: string, url: string, ctx: { runner: Runner; log: Logger; where: string }): Promise<void> {
  const u = new URL(url);
  if (!LOOPBACK.has(u.hostname)) return;
  const host = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 80);
  const cmd = staticServer(SERVE, dir, host, port);
  const recordFile = join(dir, 'server.json');
  const record = existsSync(recordFile) ? (JSON.parse(readFileSync(recordFile, 'utf8')) as ServerRecord) : undefined;
  if (record && isAlive(record.pid) && sameServer(commandLineOf(record.pid), cmd.argv)) return;
  const holder = portHolder(port);
  if (holder) {
    throw new UserError(
      `${describeHolder(port, holder)}, not the static server of ${dir}, so the site cannot be served at ${url}. Stop it, or set ${ctx.where}.url in deploy.json to a free port.`,
    );
  }
  const pid = ctx.runner.spawnDetached(cmd);
  writeFileSync(recordFile, JSON.stringify({ pid, argv: cmd.argv } satisfies ServerRecord));
  const failure = pollFailure(
    await poll(
      async () =>
        probe(url, { timeoutMs: 1_000 }).then(
          () => ({ value: true }),
          (err: Error) => `not answering yet (${err.message})`,
        ),
      { deadlineMs: 10_000, intervalMs: 100, gone: () => (isAlive(pid) ? undefined : 'it exited') },
    ),
  );
  if (failure) throw new UserError(`the static server for ${dir} did not answer at ${url}: ${failure}`);
  ctx.log.info(`serving ${dir} at ${url} (static server pid ${pid}, left running)`);
}
