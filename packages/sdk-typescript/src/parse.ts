import { isRecord } from './http-errors.js';
import type { Agent, Health, Readiness } from './types.js';

/**
 * Light checks of response bodies: enough to fail with a clear message when the base URL points
 * at something that is not the POD API, without duplicating the server's validation.
 * Each returns a description of what is wrong, or the parsed value.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

export function parseHealth(body: unknown): Parsed<Health> {
  if (!isRecord(body) || typeof body.status !== 'string') return bad('expected {"status", "version", "gitSha"}');
  return ok({ status: body.status, version: stringOr(body.version, 'unknown'), gitSha: stringOr(body.gitSha, 'unknown') });
}

export function parseReadiness(body: unknown, httpStatus: number): Parsed<Readiness> {
  if (!isRecord(body) || typeof body.status !== 'string') return bad('expected {"status", "database"}');
  return ok({ ready: httpStatus === 200, status: body.status, database: stringOr(body.database, 'unknown') });
}

export function parseAgent(body: unknown): Parsed<Agent> {
  if (!isRecord(body) || typeof body.id !== 'string' || typeof body.name !== 'string') {
    return bad('expected an agent {"id", "name", "description", "createdAt"}');
  }
  return ok({
    id: body.id,
    name: body.name,
    description: typeof body.description === 'string' ? body.description : null,
    createdAt: stringOr(body.createdAt, ''),
  });
}

export function parseAgentList(body: unknown): Parsed<Agent[]> {
  if (!isRecord(body) || !Array.isArray(body.agents)) return bad('expected {"agents": [...]}');
  const agents: Agent[] = [];
  for (const [index, item] of body.agents.entries()) {
    const agent = parseAgent(item);
    if (!agent.ok) return bad(`agents[${index}]: ${agent.problem}`);
    agents.push(agent.value);
  }
  return ok(agents);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function bad<T>(problem: string): Parsed<T> {
  return { ok: false, problem };
}
