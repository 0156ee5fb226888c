import type { Agent, Health, Readiness } from '@pod-protocol/sdk';

/**
 * Text the API sent is printed to a terminal: drop control characters so a crafted agent name
 * cannot move the cursor, recolour the screen or forge extra lines.
 */
export function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

export function formatHealth(health: Health): string {
  return keyValues([
    ['status', health.status],
    ['version', health.version],
    ['gitSha', health.gitSha],
  ]);
}

export function formatReady(readiness: Readiness): string {
  return `${clean(readiness.status)} (database ${clean(readiness.database)})\n`;
}

export function formatAgent(agent: Agent): string {
  return keyValues([
    ['id', agent.id],
    ['name', agent.name],
    ['description', agent.description ?? '-'],
    ['createdAt', agent.createdAt],
  ]);
}

export function formatAgentList(agents: readonly Agent[]): string {
  if (agents.length === 0) return 'No agents yet. Create one with: pod agents create --name <name>\n';
  const rows = [['ID', 'NAME', 'CREATED', 'DESCRIPTION'], ...agents.map((a) => [a.id, a.name, a.createdAt, a.description ?? '-'].map(clean))];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '))
    .join('\n')
    .concat('\n');
}

export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function keyValues(pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${key.padEnd(width)}  ${clean(value)}\n`).join('');
}
