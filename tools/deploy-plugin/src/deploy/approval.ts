import { createInterface } from 'node:readline/promises';
import { UserError } from '../core/errors.ts';
import type { Environment } from '../config/environments.ts';

export type ApprovalDecision =
  { kind: 'not-required' } | { kind: 'approved'; approver: string } | { kind: 'ask'; actor: string } | { kind: 'refused'; reason: string };

/**
 * Pure: decides from the environment's rule, the approver variable (set by CI after a reviewer
 * approved, e.g. a GitHub Environment) and the `--approve` flag whether a deploy may start.
 * Decided before any side effect.
 */
export function decideApproval(input: {
  envName: string;
  env: Environment;
  approveFlag: boolean;
  isTerminal: boolean;
  actor: string;
  environ: NodeJS.ProcessEnv;
}): ApprovalDecision {
  const { envName, env, approveFlag, isTerminal, actor, environ } = input;
  if (!env.approval.required) return { kind: 'not-required' };
  const variable = env.approval.approverVariable;
  const fromCi = environ[variable]?.trim();
  if (fromCi) return { kind: 'approved', approver: fromCi };
  if (approveFlag && isTerminal) return { kind: 'ask', actor };
  const how = `In CI, set ${variable} to the approving reviewer; on a terminal, pass --approve and confirm.`;
  const reason = approveFlag
    ? `${envName} requires approval and --approve needs a terminal to confirm on, so nothing was run. ${how}`
    : `${envName} requires approval, so nothing was run. ${how}`;
  return { kind: 'refused', reason };
}

/** Turns a decision into the approver to record, asking on the terminal when the decision says so. */
export async function obtainApproval(decision: ApprovalDecision, envName: string): Promise<string | undefined> {
  switch (decision.kind) {
    case 'not-required':
      return undefined;
    case 'approved':
      return decision.approver;
    case 'refused':
      throw new UserError(decision.reason);
    case 'ask': {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        const answer = await rl.question(`Deploy to ${envName} as ${decision.actor}? Type the environment name to confirm: `);
        if (answer.trim() !== envName) throw new UserError(`approval not confirmed (expected '${envName}'), so nothing was run`);
        return decision.actor;
      } finally {
        rl.close();
      }
    }
  }
}
