import { describe, expect, it } from 'vitest';
import { judgeAudit, judgeCargoAudit } from '../src/checks/audit.ts';
import { npmLockProblems } from '../src/checks/lockfile.ts';
import { checkLine, fail, pass, predeployVerdict, skipped, unknown } from '../src/checks/result.ts';
import { judgeGitleaks } from '../src/checks/secrets.ts';
import { predeploySchema } from '../src/config/predeploy.ts';

const settings = (raw: unknown = {}) => predeploySchema.parse(raw);
const report = (...advisories: { source: number; name: string; severity: string; url?: string }[]) =>
  JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities: Object.fromEntries(
      advisories.map((a) => [a.name, { name: a.name, severity: a.severity, via: [{ ...a, title: `bad ${a.name}`, url: a.url ?? '' }, 'other-pkg'] }]),
    ),
  });
const TODAY = '2026-11-28';

describe('predeploy verdict', () => {
  const results = [pass('variables', 'all set'), unknown('audit', 'source unreachable'), skipped('tests', 'no test target')];
  it('a failure always blocks; an unknown only where the environment blocks on unknown', () => {
    expect(predeployVerdict(results, 'warn')).toEqual({ ok: true, blocking: [] });
    expect(predeployVerdict(results, 'block')).toEqual({ ok: false, blocking: [results[1]] });
    expect(predeployVerdict([...results, fail('lockfile', 'x')], 'warn').blocking.map((r) => r.name)).toEqual(['lockfile']);
  });
  it('prints one aligned line per check', () => {
    expect(checkLine(unknown('audit', 'why'))).toBe('unknown  audit       why');
  });
});

describe('dependency audit', () => {
  const audit = (raw: unknown = {}) => settings({ audit: raw }).audit;

  it('fails on an advisory at the level or worse, naming package, title, severity and id; passes below it', () => {
    const r = judgeAudit(
      report({ source: 1001, name: 'fastify', severity: 'high', url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc' }),
      audit(),
      TODAY,
    );
    expect(r).toEqual(fail('audit', '1 advisory(ies) at high or worse: fastify: bad fastify (high, advisory GHSA-aaaa-bbbb-cccc)'));
    expect(judgeAudit(report({ source: 1002, name: 'zod', severity: 'moderate' }), audit(), TODAY)).toEqual(
      pass('audit', 'no advisory at high or worse'),
    );
    expect(judgeAudit(report({ source: 1002, name: 'zod', severity: 'moderate' }), audit({ level: 'moderate' }), TODAY).status).toBe('fail');
  });

  it('an allowed advisory passes until its expiry day, by id or GHSA id; after it, it fails again and says so', () => {
    const r = report({ source: 1001, name: 'fastify', severity: 'critical', url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc' });
    const allow = (id: number | string, expires: string) => audit({ allow: [{ id, reason: 'not reachable from our routes', expires }] });
    expect(judgeAudit(r, allow(1001, TODAY), TODAY)).toEqual(
      pass('audit', `no advisory at high or worse (allowed: GHSA-aaaa-bbbb-cccc until ${TODAY})`),
    );
    expect(judgeAudit(r, allow('GHSA-aaaa-bbbb-cccc', '2027-01-01'), TODAY).status).toBe('pass');
    expect(judgeAudit(r, allow(1001, '2026-11-27'), TODAY).detail).toMatch(/allowed until 2026-11-27 \(expired\)$/);
  });

  it('is unknown, never a pass, when npm could not ask its advisory source', () => {
    const refused = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      method: 'POST',
    });
    expect(judgeAudit(refused, audit(), TODAY)).toEqual(
      unknown(
        'audit',
        'the advisory source could not be asked: 405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      ),
    );
    expect(judgeAudit('', audit(), TODAY).status).toBe('unknown');
  });

  it("reads cargo audit's report; no report is undefined (then unknown)", () => {
    expect(judgeCargoAudit(JSON.stringify({ vulnerabilities: { count: 0, list: [] } }))).toEqual(
      pass('audit', 'cargo audit: no advisory for Cargo.lock'),
    );
    expect(
      judgeCargoAudit(JSON.stringify({ vulnerabilities: { list: [{ advisory: { id: 'RUSTSEC-2026-0001', package: 'ureq', title: 'bad' } }] } })),
    ).toEqual(fail('audit', 'cargo audit: ureq: bad (RUSTSEC-2026-0001)'));
    expect(judgeCargoAudit("error: couldn't fetch advisory database")).toBeUndefined();
  });
});

describe('lock file in sync', () => {
  const lock = {
    lockfileVersion: 3,
    packages: {
      '': { devDependencies: { vitest: '5.1.1' } },
      'packages/api': { dependencies: { zod: '4.6.7', pg: '8.23.1' } },
    },
  };
  const manifests = [
    { path: '', json: { devDependencies: { vitest: '5.1.1' } } },
    { path: 'packages/api', json: { dependencies: { zod: '4.6.7', pg: '8.23.1' } } },
  ];

  it('passes when every declared range is what the lock file recorded', () => {
    expect(npmLockProblems(manifests, lock)).toEqual([]);
  });

  it('names each range changed, added or removed, and a workspace the lock file lacks', () => {
    const changed = [
      manifests[0]!,
      { path: 'packages/api', json: { dependencies: { zod: '4.7.0', fastify: '5.12.8' } } },
      { path: 'packages/web', json: {} },
    ];
    expect(npmLockProblems(changed, lock)).toEqual([
      'packages/api/package.json: dependencies.zod is 4.7.0, package-lock.json has 4.6.7',
      'packages/api/package.json: dependencies.fastify (5.12.8) is not in package-lock.json',
      'packages/api/package.json: dependencies.pg is in package-lock.json but no longer declared',
      'packages/web/package.json is not in package-lock.json',
    ]);
    expect(npmLockProblems(manifests, { lockfileVersion: 1 })).toEqual([expect.stringMatching(/not lockfile version 2 or 3/)]);
  });
});

describe('secrets scan', () => {
  const finding = { File: '/dist/app/main.js', RuleID: 'aws-access-token', StartLine: 3, Fingerprint: '/dist/app/main.js:aws-access-token:3' };
  it('fails naming file, line and rule, and says how to allow a known test key', () => {
    expect(judgeGitleaks(JSON.stringify([finding]), [], '/dist/app')).toEqual(
      fail(
        'secrets',
        '1 secret(s) in what is deployed: main.js:3 (aws-access-token); remove them, or allow a known test key by its fingerprint (predeploy.secrets.allow: "main.js:aws-access-token:3")',
      ),
    );
  });
  it('passes with nothing found, or what is found allowed by fingerprint or glob', () => {
    expect(judgeGitleaks('[]', [], '/dist/app')).toEqual(pass('secrets', 'no secret found by gitleaks'));
    expect(judgeGitleaks(JSON.stringify([finding]), ['main.js:aws-access-token:3'], '/dist/app').status).toBe('pass');
    expect(judgeGitleaks(JSON.stringify([finding]), ['*.js'], '/dist/app')).toEqual(pass('secrets', 'no secret found by gitleaks (1 allowed)'));
  });
});
