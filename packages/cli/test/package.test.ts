import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI_VERSION } from '../src/version.js';

const packageDir = new URL('../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', packageDir), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};

describe('published package', () => {
  it('reports the version it is published as', () => {
    expect(CLI_VERSION).toBe(manifest.version);
  });

  it('installs a `pod` command whose entry point runs under node', () => {
    expect(manifest.bin).toEqual({ pod: 'dist/main.js' });
    // tsc keeps a leading shebang, so dist/main.js gets the one src/main.ts starts with.
    const source = readFileSync(new URL('src/main.ts', packageDir), 'utf8');
    expect(source.split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('depends on the SDK by a range npm can satisfy from the workspace or the registry', () => {
    expect(manifest.dependencies['@pod-protocol/sdk']).toBe('^0.1.0');
  });
});
