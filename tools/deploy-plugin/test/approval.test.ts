import { describe, expect, it } from 'vitest';
import { decideApproval } from '../src/deploy/approval.ts';
import { environmentSchema } from '../src/config/environments.ts';

const production = environmentSchema.parse({ approval: { required: true } });
const base = { envName: 'production', env: production, approveFlag: false, isTerminal: false, actor: 'ana', environ: {} };

describe('approval decision', () => {
  it('is not needed where the environment does not require it', () => {
    expect(decideApproval({ ...base, env: environmentSchema.parse({}) }).kind).toBe('not-required');
  });

  it('takes the approver CI set', () => {
    expect(decideApproval({ ...base, environ: { DEPLOY_APPROVER: 'lead' } })).toEqual({ kind: 'approved', approver: 'lead' });
  });

  it('asks on a terminal only with --approve', () => {
    expect(decideApproval({ ...base, approveFlag: true, isTerminal: true })).toEqual({ kind: 'ask', actor: 'ana' });
    const refused = decideApproval({ ...base, approveFlag: true, isTerminal: false });
    expect(refused.kind).toBe('refused');
    expect(refused.kind === 'refused' && refused.reason).toMatch(/needs a terminal/);
  });

  it('refuses without any approval, saying how to give one', () => {
    const d = decideApproval(base);
    expect(d.kind === 'refused' && d.reason).toMatch(/production requires approval, so nothing was run.*DEPLOY_APPROVER/);
  });
});
