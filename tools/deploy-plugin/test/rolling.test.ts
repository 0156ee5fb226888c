import { describe, expect, it } from 'vitest';
import { FailedWithRollback, restored, restoreFailed, type RollbackOutcome } from '../src/core/rollback.ts';
import { UserError } from '../src/core/errors.ts';
import type { Host } from '../src/core/host.ts';
import { createLogger } from '../src/core/log.ts';
import { Redactor } from '../src/core/redact.ts';
import { previousAcross, restoreAcross, rollAcross, type ServerTurn } from '../src/runtimes/rolling.ts';
import type { Runtime, RuntimeContext, ServiceSpec } from '../src/runtimes/runtime.ts';

// The roll-out across servers with a runtime of this test's own, which records what it is asked to
// do per server: the order, the groups, who rolls back and what the ledger is told serves where.
type Plan = Record<string, 'ok' | 'fails-and-restores' | 'fails-before-changing' | 'fails-and-cannot-restore'>;

function fixture(plan: Plan) {
  const calls: string[] = [];
  const serving = new Map(Object.keys(plan).map((s) => [s, 'v1 (img1)']));
  const host = (label: string) => ({ label, remote: true }) as Host;
  const runtime = {
    name: 'container',
    plan: () => [],
    async start(_spec: ServiceSpec, ctx: RuntimeContext) {
      const s = ctx.host!.label;
      calls.push(`start ${s}`);
      if (plan[s] === 'fails-before-changing') throw new UserError(`${s}: the pull failed`);
      if (plan[s] === 'fails-and-restores') throw new FailedWithRollback(`${s}: not healthy`, restored('v1 (img1)', 'healthy again'));
      if (plan[s] === 'fails-and-cannot-restore') throw new FailedWithRollback(`${s}: not healthy`, restoreFailed('previous did not start'));
      serving.set(s, 'v2 (img2)');
      return { url: `http://${s}`, artifact: 'img2', detail: '' };
    },
    async restore(_spec: ServiceSpec, ctx: RuntimeContext): Promise<RollbackOutcome> {
      calls.push(`restore ${ctx.host!.label}`);
      serving.set(ctx.host!.label, 'v1 (img1)');
      return restored('v1 (img1)', 'healthy again');
    },
    async previous(ctx: RuntimeContext) {
      return ctx.host!.label === 'odd'
        ? { version: 'v0', what: 'v0 (img0)', names: ['v0', 'img0'] }
        : { version: 'v1', what: 'v1 (img1)', names: ['v1', 'img1'] };
    },
    serving: async (ctx: RuntimeContext) => serving.get(ctx.host!.label),
  } satisfies Runtime;
  const redactor = new Redactor();
  const ctx = { project: { name: 'api', version: 'v2' }, log: createLogger(redactor, '', () => undefined), redactor } as unknown as RuntimeContext;
  const turns: ServerTurn[] = Object.keys(plan).map((s) => ({
    host: host(s),
    spec: { url: `http://${s}`, identity: { version: 'v2' } } as ServiceSpec,
  }));
  return { calls, runtime, ctx, turns };
}

describe('rolling across servers', () => {
  it('one server after another; every server deployed, in order', async () => {
    const f = fixture({ a: 'ok', b: 'ok', c: 'ok' });
    const rolled = await rollAcross(f.runtime, f.turns, f.ctx, 1);
    expect(f.calls).toEqual(['start a', 'start b', 'start c']);
    expect(rolled.servers).toEqual(['a', 'b', 'c'].map((s) => ({ server: s, url: `http://${s}`, serves: 'v2 (img2)', state: 'deployed' })));
  });

  it('the first failing server stops the roll-out: those done roll back newest first, the rest are untouched', async () => {
    const f = fixture({ a: 'ok', b: 'ok', c: 'fails-and-restores', d: 'ok' });
    const err = await rollAcross(f.runtime, f.turns, f.ctx, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedWithRollback);
    expect(f.calls).toEqual(['start a', 'start b', 'start c', 'restore b', 'restore a']);
    const outcome = (err as FailedWithRollback).rollback;
    expect(outcome.outcome).toBe('restored');
    expect(outcome.servers).toEqual([
      { server: 'a', url: 'http://a', serves: 'v1 (img1)', state: 'rolled back' },
      { server: 'b', url: 'http://b', serves: 'v1 (img1)', state: 'rolled back' },
      { server: 'c', url: 'http://c', serves: 'v1 (img1)', state: 'rolled back' },
      { server: 'd', url: 'http://d', serves: 'v1 (img1)', state: 'unchanged' },
    ]);
    expect((err as Error).message).toBe('api: the roll-out stopped at c (c: not healthy)');
  });

  it('parallel groups: a failure in a group lets the group finish, then everything done rolls back', async () => {
    const f = fixture({ a: 'ok', b: 'ok', c: 'fails-before-changing', d: 'ok', e: 'ok' });
    const err = (await rollAcross(f.runtime, f.turns, f.ctx, 2).catch((e: unknown) => e)) as FailedWithRollback;
    expect(f.calls.slice(0, 4).sort()).toEqual(['start a', 'start b', 'start c', 'start d']);
    expect(f.calls.slice(4)).toEqual(['restore d', 'restore b', 'restore a']);
    expect(err.rollback.servers!.map((s) => `${s.server} ${s.state}`)).toEqual([
      'a rolled back',
      'b rolled back',
      'c unchanged',
      'd rolled back',
      'e unchanged',
    ]);
  });

  it('a server that could not put its previous version back makes the outcome a failed restore, naming what serves as unknown', async () => {
    const f = fixture({ a: 'ok', b: 'fails-and-cannot-restore' });
    const err = (await rollAcross(f.runtime, f.turns, f.ctx, 1).catch((e: unknown) => e)) as FailedWithRollback;
    expect(err.rollback.outcome).toBe('restore-failed');
    expect(err.rollback.servers!.map((s) => `${s.server} ${s.state} ${s.serves}`)).toEqual(['a rolled back v1 (img1)', 'b failed unknown']);
  });

  it('restoreAcross undoes every server; previousAcross refuses servers that keep different versions', async () => {
    const f = fixture({ a: 'ok', b: 'ok' });
    const outcome = await restoreAcross(f.runtime, f.turns, f.ctx);
    expect(f.calls.toSorted()).toEqual(['restore a', 'restore b']); // all at once
    expect(outcome).toMatchObject({
      outcome: 'restored',
      servers: [
        { server: 'a', state: 'rolled back' },
        { server: 'b', state: 'rolled back' },
      ],
    });
    expect(await previousAcross(f.runtime, f.turns, f.ctx)).toMatchObject({ version: 'v1' });
    const odd = fixture({ a: 'ok', odd: 'ok' });
    expect(await previousAcross(odd.runtime, odd.turns, odd.ctx)).toEqual({
      problem: 'the servers keep different versions (a: v1 (img1); odd: v0 (img0))',
    });
  });
});
