import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('generated schemas', () => {
  it('deploy.schema.json, executor schemas and executors.json match their zod sources', () => {
    const script = join(import.meta.dirname, '..', 'scripts', 'generate-schemas.ts');
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
