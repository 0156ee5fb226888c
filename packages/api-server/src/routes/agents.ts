import type { FastifyInstance } from 'fastify';
import { createAgent, getAgent, listAgents } from '../agents-store.js';
import type { createAuth } from '../auth.js';
import type { Database } from '../db/database.js';

const agentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
} as const;

const createBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    description: { type: 'string', maxLength: 2000 },
  },
} as const;

// Query strings are text and the app does not coerce types, hence the pattern + parse.
const listQuery = {
  type: 'object',
  properties: { limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$' } },
} as const;

/** /v1/agents. Registered inside the rate-limited /v1 scope by app.ts. */
export function registerAgentRoutes(app: FastifyInstance, opts: { db: Database; requireScope: ReturnType<typeof createAuth> }) {
  const { db, requireScope } = opts;

  app.get<{ Querystring: { limit?: string } }>(
    '/agents',
    {
      preValidation: requireScope('agents:read'),
      schema: { querystring: listQuery, response: { 200: { type: 'object', properties: { agents: { type: 'array', items: agentSchema } } } } },
    },
    async (request) => ({ agents: await listAgents(db, Number(request.query.limit ?? 100)) }),
  );

  app.post<{ Body: { name: string; description?: string } }>(
    '/agents',
    { preValidation: requireScope('agents:write'), schema: { body: createBody, response: { 201: agentSchema } } },
    async (request, reply) => reply.code(201).send(await createAgent(db, request.body)),
  );

  app.get<{ Params: { id: string } }>(
    '/agents/:id',
    { preValidation: requireScope('agents:read'), schema: { response: { 200: agentSchema } } },
    async (request, reply) => {
      const agent = await getAgent(db, request.params.id);
      if (!agent) return reply.code(404).send({ error: 'not_found', message: `agent ${request.params.id} not found` });
      return agent;
    },
  );
}
