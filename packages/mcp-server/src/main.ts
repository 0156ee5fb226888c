#!/usr/bin/env node
// HTTP entry: Streamable HTTP MCP on http://HOST:PORT/mcp, GET /health for probes.
// Exit codes: 0 after a graceful stop (SIGTERM/SIGINT), 1 on bad configuration or failure to listen.
import { PodApiClient } from './api-client.js';
import { ConfigError, readConfig } from './config.js';
import { startHttpServer } from './http-server.js';
import { VERSION } from './version.js';

const log = (message: string) => console.error(`[mcp-server] ${message}`);

async function main(): Promise<void> {
  const config = readConfig();
  if (!config.apiToken) log('POD_API_TOKEN is not set: tools that read or write agents will answer 401');
  const api = new PodApiClient(config.apiUrl, config.apiToken);
  const server = await startHttpServer({ host: config.host, port: config.port, api, allowedHosts: config.allowedHosts, log });
  log(`v${VERSION} listening on ${server.url} (MCP: ${server.url}/mcp, health: ${server.url}/health, API: ${config.apiUrl})`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received, finishing in-flight requests`);
    server.close().then(
      () => {
        log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log(`error while stopping: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) log(`configuration error: ${error.message}`);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') log(`cannot listen: ${(error as Error).message}; choose another PORT`);
  else log(`failed to start: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
