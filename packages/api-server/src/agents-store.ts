import { randomUUID } from 'node:crypto';
import type { Database } from './db/database.js';

export interface Agent {
  id: string;
  name: string;
  description: string | null;
  createdAt: string;
}

interface AgentRow {
  id: string;
  name: string;
  description: string | null;
  created_at: string;
}

const COLUMNS = 'id, name, description, created_at';

export async function listAgents(db: Database, limit: number): Promise<Agent[]> {
  const rows = await db.query<AgentRow>(`SELECT ${COLUMNS} FROM agents ORDER BY created_at, id LIMIT ?`, [limit]);
  return rows.map(toAgent);
}

export async function getAgent(db: Database, id: string): Promise<Agent | undefined> {
  const rows = await db.query<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE id = ?`, [id]);
  return rows[0] && toAgent(rows[0]);
}

export async function createAgent(db: Database, input: { name: string; description?: string }): Promise<Agent> {
  const agent: Agent = {
    id: randomUUID(),
    name: input.name,
    description: input.description ?? null,
    createdAt: new Date().toISOString(),
  };
  await db.query(`INSERT INTO agents (${COLUMNS}) VALUES (?, ?, ?, ?)`, [agent.id, agent.name, agent.description, agent.createdAt]);
  return agent;
}

/** The readiness probe: succeeds only once migrations created the agents table. */
export async function checkAgentsTable(db: Database): Promise<void> {
  await db.query('SELECT id FROM agents LIMIT 1');
}

function toAgent(row: AgentRow): Agent {
  return { id: row.id, name: row.name, description: row.description, createdAt: row.created_at };
}
