import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

import type { PodApiClient } from './api-client.js';
import { createMcpServer } from './tools.js';
import { GIT_SHA, VERSION } from './version.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  api: PodApiClient;
  /** Hostnames accepted in the Host header of /mcp (DNS rebinding protection); undefined = any. */
  allowedHosts?: string[];
  log?: (message: string) => void;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:3100 (the real port when started on port 0). */
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

/** Streamable HTTP MCP endpoint on /mcp (stateless) plus GET /health for probes. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const log = options.log ?? (() => {});
  const server = createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      log(`error while handling ${req.method} ${req.url}: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, rpcError('Internal server error'));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { url: `http://${host}:${port}`, port, close: (graceMs) => closeServer(server, graceMs) };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HttpServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://placeholder').pathname;

  if (path === '/health') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, HEAD' });
    return sendJson(res, 200, { status: 'ok', version: VERSION, gitSha: GIT_SHA });
  }
  if (path !== '/mcp') return sendJson(res, 404, { error: 'not_found', message: 'MCP is served on POST /mcp; probes use GET /health' });

  if (options.allowedHosts && !options.allowedHosts.includes(hostnameOf(req.headers.host))) {
    return sendJson(res, 403, rpcError(`Host "${req.headers.host ?? ''}" is not allowed; set MCP_ALLOWED_HOSTS to accept it`));
  }
  // Stateless mode: no session, so no server-initiated stream (GET) and nothing to delete (DELETE).
  if (req.method !== 'POST') return sendJson(res, 405, rpcError('Method not allowed: this server is stateless, use POST /mcp'), { allow: 'POST' });

  // A stateless transport serves exactly one request, so each request gets its own server + transport.
  const mcp = createMcpServer(options.api);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => {
    void transport.close();
    void mcp.close();
  });
  await mcp.connect(transport);
  await transport.handleRequest(req, res);
}

function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return '';
  }
}

function rpcError(message: string) {
  return { jsonrpc: '2.0', error: { code: -32000, message }, id: null };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function closeServer(server: Server, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    // Keep-alive sockets with no request in flight would otherwise hold close() open.
    server.closeIdleConnections();
  });
}
