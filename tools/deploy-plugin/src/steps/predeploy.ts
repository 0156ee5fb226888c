import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { npmAudit } from '../commands/npm.ts';
import { cargoLockedMetadata, gitleaksDir } from '../commands/scanners.ts';
import { judgeAudit, judgeCargoAudit } from '../checks/audit.ts';
import { npmLockProblems, readNpmManifests } from '../checks/lockfile.ts';
import { checkLine, fail, pass, predeployVerdict, skipped, unknown, type CheckResult } from '../checks/result.ts';
import { judgeGitleaks } from '../checks/secrets.ts';
import { configuredVariables, runtimeOf } from '../config/environments.ts';
import { RUNTIME_KINDS } from '../config/runtime-kinds.ts';
import type { PredeployCheckName, PredeploySettings } from '../config/predeploy.ts';
import { UserError } from '../core/errors.ts';
import { findExecutable } from '../core/executables.ts';
import { migrateOptions } from './migrate.ts';
import { dryRunMigrations } from './predeploy-migrations.ts';
import type { StepContext, StepDefinition } from '../step-kit/step.ts';

const options = z.strictObject({
  environment: z.string().optional(),
  migrate: migrateOptions
    .optional()
    .describe("The project's migrate options (a deploy passes its migrate target's): migrations are tried on a scratch copy"),
  testTarget: z.string().optional().describe("The project's target that runs its tests (a deploy passes `test` when the project has one)"),
});
type Options = z.infer<typeof options>;

const lastLines = (text: string, n = 3) => text.trim().split('\n').slice(-n).join(' / ');
const worst = (name: PredeployCheckName, parts: CheckResult[]): CheckResult => {
  const order = ['fail', 'unknown', 'pass', 'skipped'] as const;
  const status = order.find((s) => parts.some((p) => p.status === s)) ?? 'skipped';
  return { name, status, detail: parts.map((p) => p.detail).join('; ') };
};

/** Every variable deploy.json names for this environment is set: names listed, values never shown. */
function variables(ctx: StepContext): CheckResult {
  const names = configuredVariables(ctx.env, ctx.env.state ?? { backend: 'file' });
  const unset = names.filter((v) => !ctx.environ[v]);
  if (unset.length) return fail('variables', `not set: ${unset.join(', ')} (named in deploy.json environments.${ctx.envName})`);
  return names.length ? pass('variables', `all ${names.length} set: ${names.join(', ')}`) : pass('variables', 'deploy.json names no variable here');
}

/** package-lock.json against every package.json of the workspace; Cargo.lock against the crate's Cargo.toml. */
async function lockfile(ctx: StepContext): Promise<CheckResult> {
  const parts: CheckResult[] = [];
  const lockPath = join(ctx.workspaceRoot, 'package-lock.json');
  if (existsSync(lockPath)) {
    const manifests = readNpmManifests(ctx.workspaceRoot);
    const problems = npmLockProblems(manifests, JSON.parse(readFileSync(lockPath, 'utf8')));
    parts.push(
      problems.length
        ? fail(
            'lockfile',
            `package-lock.json is out of sync (npm ci would refuse it): ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}. Run npm install and commit package-lock.json`,
          )
        : pass('lockfile', `package-lock.json matches ${manifests.length} package.json`),
    );
  } else if (existsSync(join(ctx.workspaceRoot, 'package.json'))) {
    parts.push(unknown('lockfile', 'no package-lock.json (only npm lock files are checked)'));
  }
  const cargoToml = join(ctx.workspaceRoot, ctx.project.root, 'Cargo.toml');
  if (existsSync(cargoToml)) {
    const res = await ctx.runner
      .run(cargoLockedMetadata(cargoToml), { quiet: true, allowFailure: true })
      .catch((err: Error) => ({ exitCode: -1, stderr: err.message, stdout: '' }));
    if (res.exitCode === 0) parts.push(pass('lockfile', 'Cargo.lock matches Cargo.toml'));
    else if (/lock file .*needs to be updated|cannot update the lock file/i.test(res.stderr))
      parts.push(
        fail('lockfile', `Cargo.lock is out of sync with ${ctx.project.root}/Cargo.toml: run cargo update --workspace and commit Cargo.lock`),
      );
    else parts.push(unknown('lockfile', `cargo could not check Cargo.lock offline (${lastLines(res.stderr, 1)})`));
  }
  return parts.length ? worst('lockfile', parts) : skipped('lockfile', 'no lock file to check');
}

/** npm audit of the production dependency tree at the environment's level, with its allow list; the crate's advisories need cargo-audit. */
async function audit(ctx: StepContext, settings: PredeploySettings): Promise<CheckResult> {
  const parts: CheckResult[] = [];
  if (existsSync(join(ctx.workspaceRoot, 'package-lock.json'))) {
    const res = await ctx.runner.run(npmAudit({ registry: settings.audit.registry }), { quiet: true, allowFailure: true });
    parts.push(judgeAudit(res.stdout, settings.audit, new Date().toISOString().slice(0, 10)));
  }
  const crate = join(ctx.workspaceRoot, ctx.project.root);
  if (existsSync(join(crate, 'Cargo.toml'))) parts.push(await cargoAudit(ctx, crate));
  return parts.length ? worst('audit', parts) : skipped('audit', 'no npm lock file or crate to audit');
}

/** cargo audit of the crate's Cargo.lock, where cargo-audit is installed and can fetch its advisory database. */
async function cargoAudit(ctx: StepContext, crate: string): Promise<CheckResult> {
  if (!findExecutable(['cargo-audit'], ctx.environ))
    return unknown('audit', "cargo-audit is not installed (cargo install cargo-audit); the crate's advisories were not checked");
  const res = await ctx.runner.run({ argv: ['cargo', 'audit', '--json'], cwd: crate }, { quiet: true, allowFailure: true });
  const found = judgeCargoAudit(res.stdout);
  return found ?? unknown('audit', `cargo audit could not check the crate (${lastLines(res.stderr, 1)})`);
}

/** gitleaks over what is deployed: the build output, else the project's folder. */
async function secrets(ctx: StepContext, settings: PredeploySettings): Promise<CheckResult> {
  const gitleaks = findExecutable(['gitleaks'], ctx.environ);
  if (!gitleaks) return unknown('secrets', 'gitleaks is not installed (go install github.com/zricethezav/gitleaks/v8@v8.30.1); nothing was scanned');
  const output = ctx.project.output && join(ctx.workspaceRoot, ctx.project.output);
  const target = output && existsSync(output) ? output : join(ctx.workspaceRoot, ctx.project.root);
  const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-gitleaks-'));
  try {
    const report = join(dir, 'report.json');
    const res = await ctx.runner.run(gitleaksDir(gitleaks, target, report), { quiet: true, allowFailure: true });
    if (res.exitCode > 1 || !existsSync(report)) return unknown('secrets', `gitleaks failed (${lastLines(res.stderr || res.stdout, 1)})`);
    return judgeGitleaks(readFileSync(report, 'utf8'), settings.secrets.allow, target);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The project's own tests, through its test target. */
async function tests(o: Options, ctx: StepContext): Promise<CheckResult> {
  if (!o.testTarget) return skipped('tests', `${ctx.project.name} has no test target`);
  const res = await ctx.runner.run(
    { argv: ['nx', 'run', `${ctx.project.name}:${o.testTarget}`, '--output-style=static'], env: { NX_DAEMON: 'false' }, timeoutMs: 30 * 60_000 },
    { quiet: true, allowFailure: true },
  );
  return res.exitCode === 0
    ? pass('tests', `nx run ${ctx.project.name}:${o.testTarget} passed`)
    : fail('tests', `nx run ${ctx.project.name}:${o.testTarget} failed: ${lastLines(`${res.stdout}\n${res.stderr}`)}`);
}

/** No scanner here can download its vulnerability database: said as unknown, never as a pass. */
function imageScan(ctx: StepContext): CheckResult {
  const hasImage = Boolean(ctx.env.services[ctx.project.name]) && RUNTIME_KINDS[runtimeOf(ctx.env, ctx.project.name)].needsImage;
  if (!hasImage) return skipped('image-scan', 'no container image in this environment');
  const scanner = findExecutable(['trivy', 'grype'], ctx.environ);
  return unknown(
    'image-scan',
    scanner
      ? `${scanner} is installed, but the image is built after these checks: scan it where it is built (the CI job before the deploy)`
      : 'no image scanner (trivy, grype) is installed; the image was not scanned',
  );
}

async function runCheck(name: PredeployCheckName, o: Options, ctx: StepContext, settings: PredeploySettings): Promise<CheckResult> {
  switch (name) {
    case 'variables':
      return variables(ctx);
    case 'lockfile':
      return lockfile(ctx);
    case 'audit':
      return audit(ctx, settings);
    case 'secrets':
      return secrets(ctx, settings);
    case 'migrations':
      return o.migrate ? dryRunMigrations(o.migrate, ctx) : skipped('migrations', `${ctx.project.name} does not migrate a database`);
    case 'tests':
      return tests(o, ctx);
    case 'image-scan':
      return imageScan(ctx);
  }
}

/**
 * The runbook's pre-deployment checklist, before any step of a deploy changes anything: variables
 * set, lock files in sync, no advisory at the environment's level, no secret in what ships,
 * migrations that apply to a scratch copy, the project's tests. Each says pass, fail or unknown in
 * one line; a failure stops the deploy, an unknown does where the environment says `block`.
 */
export const predeployStep: StepDefinition<typeof options> = {
  options,

  plan(o, ctx) {
    const settings = ctx.env.predeploy;
    if (!settings) return [{ title: `no pre-deployment checks in ${ctx.envName} (environments.${ctx.envName}.predeploy)` }];
    return [
      {
        title: `check ${settings.checks.join(', ')}; a failure${settings.unknown === 'block' ? ' or an unknown' : ''} stops the deploy before it changes anything`,
      },
    ];
  },

  async run(o, ctx) {
    const settings = ctx.env.predeploy;
    if (!settings) return { skipped: `no pre-deployment checks in ${ctx.envName} (environments.${ctx.envName}.predeploy)` };
    const results: CheckResult[] = [];
    for (const name of settings.checks) {
      const result = await runCheck(name, o, ctx, settings);
      ctx.log.info(checkLine(result));
      results.push(result);
    }
    const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
    const detail = `${count('pass')} pass, ${count('fail')} fail, ${count('unknown')} unknown, ${count('skipped')} skipped`;
    ctx.log.info(`checks: ${detail}`);
    const { ok, blocking } = predeployVerdict(results, settings.unknown);
    if (!ok)
      throw new UserError(
        `${ctx.project.name}: the pre-deployment checks stop this deploy to ${ctx.envName}, nothing was changed (${detail}):\n` +
          blocking
            .map((r) => `  ${r.name} ${r.status === 'unknown' ? `unknown (${ctx.envName} blocks on unknown)` : 'failed'}: ${r.detail}`)
            .join('\n'),
      );
    return { detail };
  },
};
