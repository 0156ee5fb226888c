// Server entry: `node dist/main.js`. Reads the environment (see config.ts), opens the database
// WITHOUT migrating it (run dist/migrate.js up first; until then /ready answers 503), listens,
// and closes gracefully on SIGTERM/SIGINT with exit code 0.
import './quiet-warnings.js';
import type { AddressInfo } from 'node:net';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { describeError, maskDatabaseUrl, openDatabase } from './db/open.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;

function fail(message: string): never {
  console.error(`api-server: ${message}`);
  process.exit(1);
}

let config;
try {
  config = loadConfig();
} catch (err) {
  fail(err instanceof ConfigError ? err.message : describeError(err));
}

let db;
try {
  db = openDatabase(config.databaseUrl);
} catch (err) {
  fail(`cannot open database ${maskDatabaseUrl(config.databaseUrl)}: ${describeError(err)}`);
}

const app = await buildApp({ config, db });
try {
  await app.listen({ port: config.port, host: config.host });
} catch (err) {
  await app.close().catch(() => undefined);
  fail(`cannot listen on ${config.host}:${config.port}: ${describeError(err)}`);
}
const { port } = app.server.address() as AddressInfo;
console.log(`api-server listening on http://${config.host}:${port}`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => fail(`still closing ${SHUTDOWN_TIMEOUT_MS} ms after ${signal}, exiting`), SHUTDOWN_TIMEOUT_MS);
  timer.unref();
  try {
    await app.close();
  } catch (err) {
    fail(`error while closing after ${signal}: ${describeError(err)}`);
  }
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
