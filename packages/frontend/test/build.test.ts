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
    const script = assets.find((name) => name.startsWith('index-') && name.endsWith('.js'));
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
    expect(scripts).toHaveLength(2);
    const bundle = scripts.map((name) => readFileSync(join(outDir, 'assets', name), 'utf8')).join('\n');
    // Plain booleans: a failing toContain would print the whole minified bundle.
    expect(bundle.includes('config.json')).toBe(true);
    expect(bundle.includes('127.0.0.1')).toBe(false);
    for (const name of scripts) expect(existsSync(join(outDir, 'assets', `${name}.map`)), name).toBe(false);
  });

  it('emits the agents table as a lazy chunk of its own, which the main chunk imports by its hashed name', () => {
    const assets = readdirSync(join(outDir, 'assets'));
    const chunks = assets.filter((name) => name.startsWith('agents-panel'));
    expect(chunks).toHaveLength(1);
    const chunk = chunks[0]!;
    expect(chunk).toMatch(/^agents-panel-[\w-]{8}\.js$/);
    const main = assets.find((name) => name.startsWith('index-') && name.endsWith('.js'))!;

    const mainCode = readFileSync(join(outDir, 'assets', main), 'utf8');
    const chunkCode = readFileSync(join(outDir, 'assets', chunk), 'utf8');
    // Plain booleans: a failing toContain would print the whole minified bundle.
    expect(mainCode.includes(`import(\`./${chunk}\`)`) || mainCode.includes(`import("./${chunk}")`)).toBe(true);
    // The table is in the chunk only, and the health panel in the main chunk only.
    expect(chunkCode.includes('<table>')).toBe(true);
    expect(mainCode.includes('<table>')).toBe(false);
    expect(mainCode.includes('<dl class="facts">')).toBe(true);
    expect(chunkCode.includes('<dl class="facts">')).toBe(false);
    // Fetched on demand: index.html neither loads nor preloads it.
    expect(readFileSync(join(outDir, 'index.html'), 'utf8').includes('agents-panel')).toBe(false);
  });
});
