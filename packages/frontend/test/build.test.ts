import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'pod-frontend-build-'));

beforeAll(async () => {
  await build({
    root,
    configFile: join(root, 'vite.config.mts'),
    mode: 'production',
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  });
}, 120_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

describe('vite build', () => {
  it('emits content-hashed assets that index.html references relatively', () => {
    const assets = readdirSync(join(outDir, 'assets')).sort();
    const script = assets.find((name) => name.endsWith('.js'));
    const style = assets.find((name) => name.endsWith('.css'));
    expect(script).toMatch(/^index-[\w-]{8}\.js$/);
    expect(style).toMatch(/^index-[\w-]{8}\.css$/);

    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    expect(html).toContain(`<script type="module" crossorigin src="./assets/${script}"></script>`);
    expect(html).toContain(`href="./assets/${style}"`);
    expect(html).not.toContain('/src/');
  });

  it('copies config.json unhashed, for the deployment to overwrite', () => {
    const copied = readFileSync(join(outDir, 'config.json'), 'utf8');
    expect(JSON.parse(copied)).toEqual(JSON.parse(readFileSync(join(root, 'public/config.json'), 'utf8')));
  });

  it('does not compile an API address into the bundle', () => {
    const scripts = readdirSync(join(outDir, 'assets')).filter((name) => name.endsWith('.js'));
    expect(scripts).toHaveLength(1);
    const bundle = readFileSync(join(outDir, 'assets', scripts[0]!), 'utf8');
    // Plain booleans: a failing toContain would print the whole minified bundle.
    expect(bundle.includes('config.json')).toBe(true);
    expect(bundle.includes('127.0.0.1')).toBe(false);
    expect(existsSync(join(outDir, 'assets', `${scripts[0]}.map`))).toBe(false);
  });
});
