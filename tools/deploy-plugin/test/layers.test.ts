import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layerViolations, readSources } from '../scripts/layers.ts';

const src = join(import.meta.dirname, '..', 'src');

describe('layers of the plugin (scripts/layers.ts)', () => {
  it('src/ imports only downward', () => {
    expect(layerViolations(readSources(src))).toEqual([]);
  });

  it('catches an upward import planted in a copy of src/, type-only and dynamic ones too', () => {
    const copy = mkdtempSync(join(tmpdir(), 'layers-'));
    try {
      cpSync(src, copy, { recursive: true });
      writeFileSync(
        join(copy, 'core', 'planted.ts'),
        "import type { StepDefinition } from '../step-kit/step.ts';\nexport type X = StepDefinition;\n",
      );
      writeFileSync(join(copy, 'store', 'planted.ts'), "export const load = () => import('../image/engine.ts');\n");
      expect(layerViolations(readSources(copy))).toEqual([
        { file: 'core/planted.ts', imports: '../step-kit/step.ts', why: 'core must not import the higher layer step-kit' },
        { file: 'store/planted.ts', imports: '../image/engine.ts', why: 'store and image are peers and must not import each other' },
      ]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('names a folder that is in no layer', () => {
    expect(layerViolations({ 'widgets/a.ts': "import { x } from '../core/errors.ts';" })).toEqual([
      { file: 'widgets/a.ts', imports: '../core/errors.ts', why: "folder 'widgets' is in no layer of scripts/layers.ts" },
    ]);
  });
});
