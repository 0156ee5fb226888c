import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/open.js';
import { runMigrateCli } from '../src/migrate-cli.js';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'api-server-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the migration CLI in-process and captures what it prints. */
export async function migrate(args: string[], env: Record<string, string | undefined>) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runMigrateCli(args, env, { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
  return { code, stdout, stderr };
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close: () => Promise<void>;
}

/** A real server on 127.0.0.1, port 0, configured from an env-like record as main.ts would be. */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const config = loadConfig(env);
  const app = await buildApp({ config, db: openDatabase(config.databaseUrl) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...extra };
}
