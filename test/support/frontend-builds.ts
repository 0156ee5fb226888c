import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { chromium, type Browser } from 'playwright-core';
import { workspaceRoot } from './workspace.ts';

const FRONTEND = join(workspaceRoot, 'packages', 'frontend');

/**
 * Another build of the real frontend, as a later commit would produce it: its source copied
 * beside the workspace's node_modules (under test/fixtures, which Nx ignores), the agents panel's
 * empty-list text changed, built by Vite into a temp folder. Its lazy chunk and main chunk get new
 * hashed names; everything else is byte for byte the same.
 */
export async function buildChangedFrontend(emptyListText: string): Promise<string> {
  const src = mkdtempSync(join(workspaceRoot, 'test', 'fixtures', '.frontend-build-'));
  const out = mkdtempSync(join(tmpdir(), 'pod-frontend-build-'));
  try {
    for (const f of ['index.html', 'vite.config.mts', 'src', 'public']) cpSync(join(FRONTEND, f), join(src, f), { recursive: true });
    const panel = join(src, 'src', 'agents-panel.ts');
    const text = readFileSync(panel, 'utf8');
    if (!text.includes('No agents yet.')) throw new Error(`${panel} no longer says 'No agents yet.': update buildChangedFrontend`);
    writeFileSync(panel, text.replace('No agents yet.', emptyListText));
    await execa('npx', ['vite', 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { cwd: src });
    return out;
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
}

/** The hashed file names of a build's assets (`index-AbC123.js`, ...). */
export function assetNames(buildDir: string): string[] {
  return readdirSync(join(buildDir, 'assets')).sort();
}

/** Debian's Chromium, headless, driven by playwright-core as the smoke test drives it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}
