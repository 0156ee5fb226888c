// Cut-over benchmark: the api-server (runtime process) behind its HAProxy, deployed from a clone.
// Four steady clients (each a request every 5 ms or so, keep-alive) request the public URL:
//   steady     for --seconds, nothing happening;
//   redeploy   while a new commit is deployed (start beside, smoke, switch, old stopped);
//   direct     the same clients on the serving version's private port, then on the proxy again,
//              interleaved, to see what the proxy adds.
// Prints requests per second, p50/p99 latency and failed requests of each, and the ratios measured
// in this run. Goals: 0 failed, p99 during the redeploy <= 1.5x steady, proxy overhead <= 1 ms at p50.
// Never fails on a time. Needs HAProxy (apt install haproxy).
//   npm run bench:cutover [-- --seconds 60]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cloneWorkspace } from '../test/support/clone.ts';
import { freePort } from '../test/support/ports.ts';
import { steadyLoad } from '../test/support/steady-load.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const seconds = Number(values.seconds);
const TOKEN = 'bench-cutover-token-0001';

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
function stats(report, ms) {
  const latencies = report.seen
    .filter((s) => !s.error)
    .map((s) => s.at - s.sentAt)
    .sort((a, b) => a - b);
  return {
    rps: Math.round(report.seen.length / (ms / 1000)),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    failed: report.failed.length,
  };
}
const line = (name, s) =>
  `  ${name.padEnd(10)} ${String(s.rps).padStart(6)} req/s   p50 ${String(s.p50).padStart(3)} ms   p99 ${String(s.p99).padStart(4)} ms   failed ${s.failed}`;

const clone = await cloneWorkspace();
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
writeFileSync(
  join(clone.dir, 'deploy.bench.json'),
  JSON.stringify({
    stateDir: '.nx-deploy-bench',
    environments: {
      development: {
        runtime: 'process',
        proxy: { mode: 'required' },
        services: { 'api-server': { url, healthPath: '/health', readyPath: '/ready' } },
        ephemeralSecrets: ['POD_SMOKE_TOKEN'],
      },
    },
  }),
);
const vars = { NX_DEPLOY_FILE: 'deploy.bench.json', POD_SMOKE_TOKEN: TOKEN };
const deploy = async () => {
  const res = await clone.run('npx', ['nx', 'run', 'api-server:deploy:development', '--output-style=static', '--excludeTaskDependencies'], vars);
  if (res.exitCode !== 0) throw new Error(`the deploy failed:\n${String(res.all).slice(-3000)}`);
};
const state = () => JSON.parse(readFileSync(join(clone.dir, '.nx-deploy-bench', 'services', 'development', 'api-server.process.json'), 'utf8'));
const measure = async (target, ms) => {
  const load = steadyLoad(target, { clients: 4, headers: { authorization: `Bearer ${TOKEN}` } });
  await new Promise((r) => setTimeout(r, ms));
  return stats(await load.stop(), ms);
};

try {
  await deploy();
  console.log(`cut-over of the api-server behind HAProxy (runtime process), 4 clients on ${url}/v1/agents`);
  const steady = await measure(`${url}/v1/agents`, seconds * 1000);
  console.log(line('steady', steady));

  await clone.commit('bench: a new release');
  const load = steadyLoad(`${url}/v1/agents`, { clients: 4, headers: { authorization: `Bearer ${TOKEN}` } });
  const started = Date.now();
  await deploy();
  const during = stats(await load.stop(), Date.now() - started);
  console.log(line('redeploy', during));

  // The proxy's cost: the same clients on the serving version's own port, then through the proxy, three times each.
  const direct = `http://127.0.0.1:${state().current.port}/v1/agents`;
  const rounds = { direct: [], proxy: [] };
  for (let i = 0; i < 3; i++) {
    rounds.direct.push(await measure(direct, 5_000));
    rounds.proxy.push(await measure(`${url}/v1/agents`, 5_000));
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const p50 = { direct: med(rounds.direct.map((s) => s.p50)), proxy: med(rounds.proxy.map((s) => s.p50)) };
  console.log(`  direct     p50 ${p50.direct} ms (rounds ${rounds.direct.map((s) => s.p50).join(', ')})`);
  console.log(`  proxy      p50 ${p50.proxy} ms (rounds ${rounds.proxy.map((s) => s.p50).join(', ')})`);

  const ratio = during.p99 / steady.p99;
  console.log(`goal: 0 failed requests: ${steady.failed + during.failed === 0 ? 'PASS' : 'MISS'} (${during.failed} during the redeploy)`);
  console.log(`goal: p99 during the redeploy <= 1.5x steady: ${ratio.toFixed(2)}x ${ratio <= 1.5 ? 'PASS' : 'MISS'}`);
  console.log(
    `goal: proxy overhead <= 1 ms at p50: ${p50.proxy - p50.direct} ms ${p50.proxy - p50.direct <= 1 ? 'PASS' : 'MISS'} (reported, never enforced)`,
  );
} finally {
  await clone.remove(); // stops what the deploys left running: the versions and the proxy
}
