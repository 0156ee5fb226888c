import { describe, expect, it } from 'vitest';
import { runtimeSchema } from '../src/config/environments.ts';
import { RUNTIME_KINDS, runtimeIn, runtimeKind } from '../src/config/runtime-kinds.ts';
import { RUNTIMES } from '../src/runtimes/registry.ts';
import { STEPS } from '../src/steps/registry.ts';

describe('the runtime table', () => {
  it('is the one list of runtimes: the schema and the implementations name the same ones', () => {
    expect(runtimeSchema.options).toEqual(Object.keys(RUNTIME_KINDS));
    expect(Object.keys(RUNTIMES).sort()).toEqual(Object.keys(RUNTIME_KINDS).sort());
    for (const [name, runtime] of Object.entries(RUNTIMES)) expect(runtime.name).toBe(name);
  });

  it('decides which steps a backend deploy has: an image to build, a cut-over behind the proxy', () => {
    const api = { role: 'backend' } as never;
    const steps = (runtime: string) => STEPS.filter((s) => s.inDeploy(api, runtime)).map((s) => s.name);
    expect(steps('process')).not.toContain('build-image');
    expect(steps('process')).toContain('cutover');
    expect(steps('container')).toEqual(expect.arrayContaining(['build-image', 'cutover']));
    expect(steps('kubernetes')).toContain('build-image');
    expect(steps('kubernetes')).not.toContain('cutover');
  });

  it('reads a service runtime as deploy.json gives it: its own, the environment’s, else process; an unknown name implies nothing', () => {
    expect(runtimeIn({ runtime: 'container', services: { api: { runtime: 'kubernetes' } } }, 'api')).toBe('kubernetes');
    expect(runtimeIn({ runtime: 'container' }, 'api')).toBe('container');
    expect(runtimeIn(undefined, 'api')).toBe('process');
    expect(runtimeKind('vm')).toBeUndefined();
    expect(runtimeKind('toString')).toBeUndefined();
  });
});
