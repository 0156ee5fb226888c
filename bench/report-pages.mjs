// Report pages benchmark: the status page of 500 deploys and the report of a deploy verified for 6
// minutes at 1 s samples (synthetic records shaped like real ones), rendered by nx-deploy and
// opened from a file in headless Chromium (Debian's, as the e2e tests use it). Time = navigation
// start to the second animation frame after load (the page laid out and painted). The anchor, in
// the same run: the report of the verify e2e's real rolled-back deploy (5 samples). Goals, reported
// and never enforced: each page under 1 s and under 500 kB.
//   npm run bench:report [-- --rounds 7]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { renderDeployReport } from '../tools/deploy-plugin/src/report/deploy-report.ts';
import { renderStatusPage } from '../tools/deploy-plugin/src/report/status-page.ts';
import { longWatch, manyDeploys } from '../tools/deploy-plugin/test/report-data.ts';
import { launchChromium } from '../test/support/frontend-builds.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const rounds = Number(values.rounds);
const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-bench-pages-'));
const real = JSON.parse(readFileSync(join(import.meta.dirname, '../test/fixtures/report/rolled-back-record.json'), 'utf8'));
const env = (name, records) => ({ name, where: 's3://deploys/nx-deploy/', records, damagedLines: 0, pins: {}, sites: {} });
const pages = {
  'anchor: a real rolled-back deploy (5 samples)': renderDeployReport(real),
  'status page, 500 deploys': renderStatusPage(
    [env('staging', manyDeploys(500)), env('production', manyDeploys(120, 'production'))],
    new Date().toISOString(),
  ),
  'report, 6 min window at 1 s (361 samples)': renderDeployReport(longWatch()),
};
const files = Object.entries(pages).map(([name, html], i) => {
  const file = join(dir, `page-${i}.html`);
  writeFileSync(file, html);
  return { name, file, kB: Buffer.byteLength(html) / 1024, ms: [] };
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const browser = await launchChromium();
try {
  for (let r = 0; r < rounds; r++) {
    for (const f of files) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(pathToFileURL(f.file).href, { waitUntil: 'load' });
      f.ms.push(await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now()))))));
      await page.close();
    }
  }
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
const anchor = median(files[0].ms);
console.log(`median of ${rounds} rounds (goal: under 1000 ms and 500 kB each; reported, never enforced)`);
for (const f of files)
  console.log(
    `  ${f.name.padEnd(46)} ${median(f.ms).toFixed(0).padStart(5)} ms  ${(median(f.ms) / anchor).toFixed(2)}x  ${f.kB.toFixed(0).padStart(4)} kB`,
  );
