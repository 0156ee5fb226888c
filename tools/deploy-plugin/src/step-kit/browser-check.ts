import { z } from 'zod';
import { findExecutable } from '../core/executables.ts';
import { UserError } from '../core/errors.ts';
import { interpolate } from '../core/interpolate.ts';
import type { StepContext } from './step.ts';

export const browserSchema = z
  .strictObject({
    enabled: z
      .enum(['auto', 'always', 'never'])
      .default('auto')
      .describe(
        'auto: when a Chromium is found (else the smoke test says it checked over HTTP only); always: a missing Chromium fails the smoke test',
      ),
    waitFor: z.string().default('body').describe('A CSS selector that appears once the page has rendered'),
    expectRequests: z
      .array(z.string())
      .default([])
      .describe('URL prefixes the page must request and get a 2xx or 3xx from (its API calls); values may use ${VAR}'),
    executablePath: z.string().optional().describe('The Chromium to drive (default: chromium, chromium-browser or google-chrome on PATH)'),
    timeoutMs: z.int().positive().default(15_000),
  })
  .describe('Load the site in headless Chromium: it must render, make its API calls successfully, and no request of the page may fail');

export type BrowserCheck = z.infer<typeof browserSchema>;

// No sandbox (CI runs as root), no network of Chromium's own (closed networks refuse it, slowly).
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** The Chromium to drive: the configured one, else the first on PATH. */
export function findChromium(explicit: string | undefined, environ: NodeJS.ProcessEnv): string | undefined {
  return explicit ?? findExecutable(['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'], environ);
}

/**
 * Loads the page in headless Chromium (through playwright-core, which downloads no browser) and
 * returns what went wrong, or undefined: the selector never appeared, a request of the page failed
 * or answered 4xx/5xx, an expected API call was not made or failed, or the page threw.
 */
export async function checkInBrowser(url: string, check: BrowserCheck, executablePath: string, ctx: StepContext): Promise<string | undefined> {
  const expected = check.expectRequests.map((p) => interpolate(p, ctx.environ, `${ctx.project.name}:smoke browser.expectRequests`));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, headless: true, args: FLAGS }).catch((err: Error) => {
    throw new UserError(`${ctx.project.name}: Chromium (${executablePath}) did not start: ${err.message.split('\n')[0]}`);
  });
  try {
    const page = await browser.newPage();
    const failed: string[] = [];
    const errors: string[] = [];
    const answers = new Map<string, number[]>();
    page.on('requestfailed', (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText ?? 'failed'}`));
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.request().method()} ${r.url()}: ${r.status()}`);
      for (const prefix of expected) if (r.url().startsWith(prefix)) answers.set(prefix, [...(answers.get(prefix) ?? []), r.status()]);
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(url, { waitUntil: 'load', timeout: check.timeoutMs }).catch((err: Error) => err);
    if (res instanceof Error) return `the page did not load: ${res.message.split('\n')[0]}`;
    const rendered = await page
      .waitForSelector(check.waitFor, { timeout: check.timeoutMs })
      .then(() => true)
      .catch(() => false);
    await page.waitForLoadState('networkidle', { timeout: check.timeoutMs }).catch(() => undefined);
    const problems: string[] = [];
    if (!rendered) problems.push(`${check.waitFor} never appeared`);
    for (const prefix of expected) {
      const statuses = answers.get(prefix);
      if (!statuses) problems.push(`it never requested ${prefix}`);
      else if (!statuses.some((s) => s < 400)) problems.push(`${prefix} answered ${statuses.join(', ')}`);
    }
    problems.push(...failed.map((f) => `request failed: ${f}`), ...errors.map((e) => `the page threw: ${e}`));
    return problems.length ? problems.join('; ') : undefined;
  } finally {
    await browser.close().catch(() => undefined);
  }
}
