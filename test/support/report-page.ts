import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from './frontend-builds.ts';

/** What a chart shows, read from its DOM in Chromium: positions in the SVG's own units. */
export interface ChartFacts {
  title: string;
  description: string;
  /** Each series' points, in drawing order. */
  series: Record<string, { x: number; y: number }[]>;
  thresholds: { label: string; y: number }[];
  regions: { kind: string; label: string; x: number; width: number }[];
  markers: { kind: string; label: string; x: number }[];
}

export interface PageFacts {
  /** The accessibility tree as Playwright serializes it (roles and names, no pixels). */
  aria: string;
  charts: ChartFacts[];
  /** Load to first paint of everything, measured by the page's own navigation timing (ms). */
  loadMs: number;
  /** Per theme: page background and text colour, and the screenshot's size. */
  themes: Record<'light' | 'dark', { background: string; color: string; width: number; height: number }>;
}

async function chartsOf(page: Page): Promise<ChartFacts[]> {
  return page.$$eval('svg.chart', (svgs) =>
    svgs.map((svg) => {
      const points = (d: string) => [...d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
      const num = (el: Element, a: string) => Number(el.getAttribute(a));
      return {
        title: svg.querySelector('title')?.textContent ?? '',
        description: svg.querySelector('desc')?.textContent ?? '',
        series: Object.fromEntries(
          [...svg.querySelectorAll('path.series')].map((p) => [p.getAttribute('data-series')!, points(p.getAttribute('d')!)]),
        ),
        thresholds: [...svg.querySelectorAll('line.threshold')].map((l) => ({ label: l.textContent ?? '', y: num(l, 'y1') })),
        regions: [...svg.querySelectorAll('rect')].map((r) => ({
          kind: r.getAttribute('class')!,
          label: r.textContent ?? '',
          x: num(r, 'x'),
          width: num(r, 'width'),
        })),
        markers: [...svg.querySelectorAll('line.marker')].map((l) => ({
          kind: l.getAttribute('class')!.replace('marker ', ''),
          label: l.textContent ?? '',
          x: num(l, 'x1'),
        })),
      };
    }),
  );
}

/** Opens a page written by nx-deploy (a file: no server) in headless Chromium and reads what it shows, in both themes. */
export async function inspectPage(file: string, screenshotTo?: (theme: string) => string): Promise<PageFacts> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const loadMs = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return nav.loadEventEnd - nav.startTime;
    });
    const themes = {} as PageFacts['themes'];
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme });
      const shot = await page.screenshot({ fullPage: true, ...(screenshotTo ? { path: screenshotTo(theme) } : {}) });
      const { background, color } = await page.evaluate(() => {
        const s = getComputedStyle(document.body);
        return { background: s.backgroundColor, color: s.color };
      });
      themes[theme] = { background, color, width: shot.readUInt32BE(16), height: shot.readUInt32BE(20) };
    }
    return { aria: await page.locator('body').ariaSnapshot(), charts: await chartsOf(page), loadMs, themes };
  } finally {
    await browser.close();
  }
}

/** WCAG's contrast ratio of two `rgb(r, g, b)` colours. */
export function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = c
      .match(/[\d.]+/g)!
      .slice(0, 3)
      .map((v) => {
        const s = Number(v) / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** Every table of a page by its caption, as the text of each body cell, read in Chromium. */
export async function tableRows(file: string): Promise<Record<string, string[][]>> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    return await page.$$eval('table', (tables) =>
      Object.fromEntries(
        tables.map((t) => [
          t.querySelector('caption')?.textContent ?? '',
          [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())),
        ]),
      ),
    );
  } finally {
    await browser.close();
  }
}
