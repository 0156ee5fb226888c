// The README's screenshots of the two pages: the report of the verify e2e's real rolled-back deploy
// (test/fixtures/report) in the light theme, and a status page of synthetic deploys (the bench's) in
// the dark one. Run after changing how the pages look: node scripts/page-screenshots.ts
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderDeployReport } from '../tools/deploy-plugin/src/report/deploy-report.ts';
import { renderStatusPage } from '../tools/deploy-plugin/src/report/status-page.ts';
import { manyDeploys } from '../tools/deploy-plugin/test/report-data.ts';
import { launchChromium } from '../test/support/frontend-builds.ts';

const root = join(import.meta.dirname, '..');
const record = JSON.parse(readFileSync(join(root, 'test/fixtures/report/rolled-back-record.json'), 'utf8'));
const env = (name: string, records: ReturnType<typeof manyDeploys>) => ({
  name,
  where: 's3://deploys/nx-deploy/',
  records,
  damagedLines: 0,
  pins: {},
  sites: {},
});
const shots = [
  { html: renderDeployReport(record), theme: 'light', out: 'docs/images/deploy-report.png' },
  {
    html: renderStatusPage([env('staging', manyDeploys(90)), env('production', manyDeploys(30, 'production'))], '2026-12-08T01:00:00.000Z'),
    theme: 'dark',
    out: 'docs/images/status-page.png',
  },
] as const;
const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-shots-'));
const browser = await launchChromium();
try {
  for (const [i, s] of shots.entries()) {
    const file = join(dir, `${i}.html`);
    writeFileSync(file, s.html);
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme: s.theme });
    await page.goto(pathToFileURL(file).href);
    await page.screenshot({ path: join(root, s.out), fullPage: true });
    console.log(`wrote ${s.out}`);
  }
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
