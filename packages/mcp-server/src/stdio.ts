#!/usr/bin/env node
// stdio entry for local MCP clients (e.g. a desktop app launching `node dist/stdio.js`).
// stdout carries the protocol, so every log line goes to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

import { PodApiClient } from './api-client.js';
import { ConfigError, readConfig } from './config.js';
import { createMcpServer } from './tools.js';

const log = (message: string) => console.error(`[mcp-server:stdio] ${message}`);

async function main(): Promise<void> {
  const config = readConfig();
  if (!config.apiToken) log('POD_API_TOKEN is not set: tools that read or write agents will answer 401');
  const server = createMcpServer(new PodApiClient(config.apiUrl, config.apiToken));
  const transport = new StdioServerTransport();

  const stop = () => {
    void server.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The client closing our stdin is the normal way a stdio session ends.
  process.stdin.on('end', stop);

  await server.connect(transport);
  log(`ready (API: ${config.apiUrl})`);
}

main().catch((error: unknown) => {
  log(error instanceof ConfigError ? `configuration error: ${error.message}` : `failed to start: ${String(error)}`);
  process.exit(1);
});
