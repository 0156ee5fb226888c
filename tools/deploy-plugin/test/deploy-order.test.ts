import { describe, expect, it } from 'vitest';
import { deployLayers } from '../src/core/layers.ts';

describe('deploy layers', () => {
  it('puts backends before the frontend and packages after their dependencies', () => {
    expect(deployLayers({ frontend: ['api-server', 'mcp-server'], 'api-server': [], 'mcp-server': [], cli: ['sdk'], sdk: [] })).toEqual([
      ['api-server', 'mcp-server', 'sdk'],
      ['cli', 'frontend'],
    ]);
  });

  it('ignores dependencies on projects that do not deploy', () => {
    expect(deployLayers({ a: ['not-deployed', 'a'] })).toEqual([['a']]);
  });

  it('names the projects of a cycle', () => {
    expect(() => deployLayers({ a: ['b'], b: ['a'], c: [] })).toThrow('cycle among: a, b');
  });
});
