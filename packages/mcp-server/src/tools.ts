import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';

import { ApiError, type PodApiClient } from './api-client.js';
import { SERVER_NAME, VERSION } from './version.js';

/** A fresh MCP server exposing the POD API as tools (one per request in stateless HTTP mode). */
export function createMcpServer(api: PodApiClient): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: VERSION });

  server.registerTool(
    'api_health',
    {
      title: 'POD API health',
      description: 'Liveness (version, git SHA) and readiness (database) of the POD Protocol API.',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => run(() => api.apiHealth()),
  );

  server.registerTool(
    'list_agents',
    {
      title: 'List agents',
      description: 'All agents registered in the POD Protocol API (needs scope agents:read).',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => run(async () => ({ agents: await api.listAgents() })),
  );

  server.registerTool(
    'get_agent',
    {
      title: 'Get agent',
      description: 'One agent by id (needs scope agents:read).',
      inputSchema: { id: z.string().min(1).describe('Agent id, as returned by list_agents or create_agent') },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ id }) => run(() => api.getAgent(id), { 404: `No agent with id "${id}". Use list_agents to see the existing ids.` }),
  );

  server.registerTool(
    'create_agent',
    {
      title: 'Create agent',
      description: 'Registers a new agent in the POD Protocol API (needs scope agents:write). Not idempotent.',
      inputSchema: {
        name: z.string().trim().min(1).describe('Name of the agent'),
        description: z.string().optional().describe('What the agent does'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ name, description }) => run(() => api.createAgent(description === undefined ? { name } : { name, description })),
  );

  return server;
}

/** Runs an API call: JSON text on success, an isError result with a readable message on failure. */
async function run(call: () => Promise<unknown>, byStatus: Record<number, string> = {}): Promise<CallToolResult> {
  try {
    const data = await call();
    return { content: [{ type: 'text', text: JSON.stringify(data, null, 2) }] };
  } catch (error) {
    const text =
      error instanceof ApiError
        ? (error.status !== undefined && byStatus[error.status]) || error.message
        : `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
    return { isError: true, content: [{ type: 'text', text }] };
  }
}
