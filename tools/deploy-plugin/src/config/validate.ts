import type { z } from 'zod';
import { UserError } from '../core/errors.ts';

/** One readable path per issue: `environments.staging.services.api-server.url`. */
export function issuePath(path: PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `${issue.keys.map((k) => issuePath([...issue.path, k])).join(', ')}: unknown field (check the spelling)`;
  }
  return `${issuePath(issue.path) || '(top level)'}: ${issue.message}`;
}

/**
 * Parses `value` or throws one paragraph naming every bad field by its path and what was expected.
 * `where` says what was being read ("deploy.json", "api-server:smoke options").
 */
export function parseOrExplain<S extends z.ZodType>(schema: S, value: unknown, where: string, hint: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  - ${describeIssue(i)}`);
  throw new UserError(`${where} is not valid, so nothing was run:\n${lines.join('\n')}\n${hint}`);
}
