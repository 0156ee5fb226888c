import { randomBytes } from 'node:crypto';

/** A ledger record's id: sortable by time, naming the project, unique. */
export function newDeployId(project: string, now = new Date()): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${project.replace(/[^a-zA-Z0-9._-]/g, '_')}-${randomBytes(3).toString('hex')}`;
}
