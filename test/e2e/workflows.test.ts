import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testToolsDir } from '../../scripts/provision/tools-dir.mjs';
import { sharedStateProblem } from '../../tools/deploy-plugin/src/store/isolation.ts';
import { configuredVariables, stateOf } from '../../tools/deploy-plugin/src/config/environments.ts';
import { loadDeployFile } from '../../tools/deploy-plugin/src/config/load.ts';
import { workspaceRoot } from '../support/workspace.ts';

// The GitHub Actions workflows: actionlint (with shellcheck for every run: script) finds nothing,
// and they say what the runbook says, checked against deploy.json so neither drifts from the other.
// GitHub itself cannot run here: the workflows are checked, not run.

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  environment?: string | { name: string };
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { branches?: string[] } | null>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, Job>;
}

const dir = join(workspaceRoot, '.github', 'workflows');
const workflow = (name: string) => parse(readFileSync(join(dir, name), 'utf8')) as Workflow;
const actionlint = join(testToolsDir(), 'bin', 'actionlint');
const file = loadDeployFile(workspaceRoot);

/** Evaluates the workflows' `${{ github.ref_name == 'x' && 'a' || 'b' }}` for a branch. */
function evaluateForBranch(expression: string, branch: string): string {
  const m = /^\$\{\{\s*github\.ref_name == '([^']+)' && '([^']+)' \|\| '([^']+)'\s*\}\}$/.exec(expression.trim());
  if (!m) throw new Error(`not a branch -> environment expression: ${expression}`);
  return branch === m[1] ? m[2]! : m[3]!;
}

describe('GitHub Actions workflows', () => {
  it('pass actionlint, which does catch a broken workflow', async () => {
    const res = await execa(actionlint, ['-no-color'], { cwd: workspaceRoot, reject: false, all: true });
    expect(res.all).toBe('');
    expect(res.exitCode).toBe(0);
    const broken =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo "${{ github.event.head_commit.message }}" $undefined_var\n';
    const bad = await execa(actionlint, ['-no-color', '-'], { input: broken, reject: false, all: true });
    expect(bad.exitCode).toBe(1);
    expect(bad.all).toMatch(/potentially untrusted/);
  });

  it('deploy: each branch of deploy.json deploys to its environment, one at a time, never cancelled', () => {
    const deploy = workflow('deploy.yml');
    const job = deploy.jobs.deploy!;
    const branches = Object.entries(file.environments).filter(([, e]) => e.branch);
    expect(branches.map(([n, e]) => `${e.branch}->${n}`)).toEqual(['develop->staging', 'main->production']);
    expect(deploy.on.push!.branches!.sort()).toEqual(branches.map(([, e]) => e.branch!).sort());
    for (const [name, env] of branches) {
      expect(evaluateForBranch(job.environment as string, env.branch!)).toBe(name);
      expect(evaluateForBranch(job.env!.DEPLOY_ENV!, env.branch!)).toBe(name);
      expect(evaluateForBranch(job.concurrency!.group.replace(/^deploy-/, ''), env.branch!)).toBe(name);
    }
    expect(job.concurrency!['cancel-in-progress']).toBe(false);
    const run = job.steps.find((s) => s.run?.includes('nx-deploy affected'))!;
    expect(run.run).toMatch(/npx nx-deploy affected --env "\$DEPLOY_ENV" -- --lock-wait=\d+m/);
  });

  it('deploy: production waits for its reviewers and records who approved, under the variable deploy.json reads', () => {
    const job = workflow('deploy.yml').jobs.deploy!;
    const production = file.environments.production!;
    expect(production.approval.required).toBe(true);
    // The job runs in the GitHub environment: its required reviewers gate it before any step.
    expect(job.environment).toBeTypeOf('string');
    const approver = job.steps.find((s) => s.run?.includes(`${production.approval.approverVariable}=`))!;
    expect(approver.if).toBe("env.DEPLOY_ENV == 'production'");
    expect(approver.run).toContain('/approvals');
    expect(approver.run).toContain('>> "$GITHUB_ENV"');
    expect(approver.run).toMatch(/exit 1/);
    expect(workflow('deploy.yml').permissions).toMatchObject({ actions: 'read', contents: 'read' });
  });

  it('deploy: every variable staging and production name comes from a secret, into the deploy step only', () => {
    const job = workflow('deploy.yml').jobs.deploy!;
    const step = job.steps.find((s) => s.run?.includes('nx-deploy affected'))!;
    for (const name of ['staging', 'production']) {
      const state = stateOf(file, name);
      expect(state.backend, `${name} keeps its ledger and lock in the shared store`).toBe('s3');
      for (const v of configuredVariables(file.environments[name]!, state)) expect(step.env?.[v], `${name}: ${v}`).toBe(`\${{ secrets.${v} }}`);
      // ... but not one store with one key: production's records are out of staging's reach.
      expect(sharedStateProblem(file, name), name).toBeUndefined();
    }
    expect(Object.keys(file.environments.production!.readState)).toEqual(['staging']);
  });

  it('release: the Changesets version pull request, and on merge npm run release with what it publishes with', () => {
    const release = workflow('release.yml');
    expect(release.on.push!.branches).toEqual(['main']);
    expect(release.concurrency!['cancel-in-progress']).toBe(false);
    const step = release.jobs.release!.steps.find((s) => s.uses?.startsWith('changesets/action@'))!;
    expect(step.with).toMatchObject({ version: 'npm run version-packages', publish: 'npm run release' });
    const env = file.environments[file.release.environment]!;
    const needed = [file.release.github!.tokenVariable, env.npm?.tokenVariable, env.crates?.tokenVariable];
    const state = stateOf(file, file.release.environment);
    if (state.backend === 's3') needed.push(state.accessKeyIdVariable, state.secretAccessKeyVariable);
    for (const v of needed.filter(Boolean)) expect(step.env?.[v!], v).toBe(`\${{ secrets.${v} }}`);
  });

  it('ci: pull requests lint, test and build what they affect since their base', () => {
    const ci = workflow('ci.yml');
    expect(Object.keys(ci.on)).toEqual(['pull_request']);
    const step = ci.jobs.affected!.steps.find((s) => s.run?.includes('nx affected'))!;
    expect(step.run).toMatch(/nx affected -t lint test build --base="\$BASE" --head="\$HEAD"/);
    expect(step.env).toEqual({ BASE: '${{ github.event.pull_request.base.sha }}', HEAD: '${{ github.event.pull_request.head.sha }}' });
  });

  it('no secret is echoed: secrets reach steps through env only, and no run: script prints one', () => {
    for (const name of ['ci.yml', 'deploy.yml', 'release.yml']) {
      for (const job of Object.values(workflow(name).jobs)) {
        const secretNames = job.steps.flatMap((s) =>
          Object.entries(s.env ?? {})
            .filter(([, v]) => /\bsecrets\./.test(v))
            .map(([k]) => k),
        );
        for (const step of job.steps) {
          if (!step.run) continue;
          expect(step.run, `${name}: a run: script must not expand \${{ secrets }} itself`).not.toMatch(/\$\{\{[^}]*secrets\./);
          for (const line of step.run.split('\n').filter((l) => /\b(echo|printf|cat)\b/.test(l)))
            for (const s of secretNames) expect(line, `${name}: ${line}`).not.toMatch(new RegExp(`\\$\\{?${s}\\b`));
        }
        expect(JSON.stringify(job.env ?? {}), `${name}: secrets only in the steps that need them`).not.toMatch(/secrets\./);
      }
    }
  });
});
