import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { environmentOf, loadDeployFile } from '../config/load.ts';
import { fileSecretVariables, type DeployFile } from '../config/environments.ts';
import { describeError } from '../core/errors.ts';
import { Redactor } from '../core/redact.ts';
import { describeLock, renderHistory } from './history.ts';
import { commandUsage, generalUsage, isCommand, unknownCommand } from './usage.ts';

class UsageError extends Error {}

/** Redacts every error this command prints, as executors do: the secrets of every environment. */
const redactor = new Redactor();

/** deploy.json, its secrets registered first (loaded once); undefined when it is bad: a command that needs it reports why. */
function registerSecrets(workspaceRoot: string): DeployFile | undefined {
  try {
    const file = loadDeployFile(workspaceRoot);
    redactor.addFromEnv(fileSecretVariables(file));
    return file;
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      env: { type: 'string' },
      project: { type: 'string' },
      projects: { type: 'string' },
      target: { type: 'string', short: 't' },
      from: { type: 'string' },
      to: { type: 'string' },
      approve: { type: 'boolean', default: false },
      'lock-wait': { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '5s' },
      database: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, sub] = positionals;
  if (!command) {
    console.log(generalUsage());
    return values.help ? 0 : 2;
  }
  if (!isCommand(command)) throw new UsageError(unknownCommand(command));
  if (values.help) {
    console.log(commandUsage(command));
    return 0;
  }
  const workspaceRoot = resolve(process.env.NX_WORKSPACE_ROOT ?? process.cwd());
  const loaded = registerSecrets(workspaceRoot);
  // Commands load what they need only: Nx's project graph is slow to load and only plan uses it.
  if (command === 'release') {
    const { runRelease } = await import('../release/run.ts');
    const { success } = await runRelease({ workspaceRoot, dryRun: values['dry-run'] });
    return success ? 0 : 1;
  }
  if (command === 'sync-crates') {
    const [{ syncCrates }, { Runner }, { createLogger }] = await Promise.all([
      import('../release/sync-crates.ts'),
      import('../core/run.ts'),
      import('../core/log.ts'),
    ]);
    const changes = await syncCrates(workspaceRoot, new Runner(workspaceRoot, redactor, createLogger(redactor, 'sync-crates')));
    for (const c of changes) console.log(`${c.crate}: ${c.from} -> ${c.to}`);
    if (!changes.length) console.log('crates already match their package.json versions');
    return 0;
  }
  const file = loaded ?? loadDeployFile(workspaceRoot);
  const storeCtx = { workspaceRoot, environ: process.env, redactor };
  if (command === 'state') {
    if (sub !== 'import' || values.from !== 'file') throw new UsageError(`state needs 'import --from file'`);
    const [{ importLedger }, { openStore }, { fileStore }] = await Promise.all([
      import('./state-import.ts'),
      import('../store/open.ts'),
      import('../store/file/store.ts'),
    ]);
    const local = fileStore(resolve(workspaceRoot, file.stateDir), redactor);
    for (const env of values.env ? [environmentOf(file, values.env, command, '--env').name] : Object.keys(file.environments)) {
      const store = await openStore(file, env, storeCtx);
      if (store.where === local.where) {
        console.log(`${env}: its state is already the local folder; nothing to import`);
        continue;
      }
      const { copied, present } = await importLedger(local.ledger, store.ledger, env);
      console.log(`${env}: copied ${copied} record(s) into ${store.where}${present ? ` (${present} were there already)` : ''}`);
    }
    return 0;
  }
  if (command === 'status' || command === 'report') {
    const env = values.env === undefined ? undefined : environmentOf(file, values.env, command, '--env').name;
    const { statusPage, reportPage } = await import('./status.ts');
    const c = { workspaceRoot, file, environ: process.env, redactor };
    if (command === 'status') return statusPage(c, env, values.out);
    if (!sub) throw new UsageError('report needs the deploy id: nx-deploy report <deploy id> [--env <env>] [--out file.html]');
    return reportPage(c, sub, env, values.out);
  }
  if (!values.env) throw new UsageError(`${command} needs --env <environment> (one of: ${Object.keys(file.environments).join(', ')})`);
  const { name: envName } = environmentOf(file, values.env, command, '--env');
  if (command === 'health') {
    const [{ readWorkspace }, { checkHealth, healthTargets }, { parseDuration }] = await Promise.all([
      import('./workspace.ts'),
      import('./health.ts'),
      import('../core/duration.ts'),
    ]);
    const frontends = Object.entries((await readWorkspace()).projects)
      .filter(([, p]) => p.tags.includes('deploy:frontend'))
      .map(([name]) => name);
    return checkHealth(envName, healthTargets(envName, file.environments[envName]!, frontends), parseDuration(values.timeout, '--timeout'));
  }
  const { openStore } = await import('../store/open.ts');
  if (command === 'plan') {
    const [{ readWorkspace }, { renderPlan }] = await Promise.all([import('./workspace.ts'), import('./plan.ts')]);
    const ws = await readWorkspace();
    const projects = values.projects?.split(',').map((p) => p.trim());
    const store = await openStore(file, envName, storeCtx).catch((err: Error) => ({ problem: err.message.split('\n')[0]! }));
    const { text, problems } = await renderPlan(ws, workspaceRoot, envName, store, projects);
    console.log(text);
    return problems ? 1 : 0;
  }
  const store = await openStore(file, envName, storeCtx);

  switch (command) {
    case 'affected': {
      const [{ readWorkspace }, { affectedSinceLastGood, deployAffected, renderBases, withPins }, { Runner }, { createLogger }] = await Promise.all([
        import('./workspace.ts'),
        import('./affected.ts'),
        import('../core/run.ts'),
        import('../core/log.ts'),
      ]);
      const runner = new Runner(workspaceRoot, redactor, createLogger(redactor));
      const target = values.target ?? 'deploy';
      const { Pins } = await import('../store/pins.ts');
      const bases = await withPins(
        await affectedSinceLastGood(await readWorkspace(), envName, target, store.ledger, runner),
        envName,
        new Pins(store.blobs),
      );
      console.log(renderBases(envName, bases));
      const affected = bases.filter((b) => b.affected).map((b) => b.project);
      if (!affected.length) {
        console.log(`nothing changed since the last good deploys to ${envName}: nothing to deploy`);
        return 0;
      }
      if (values['dry-run']) return 0;
      return deployAffected(affected, envName, target, positionals.slice(1), runner, process.env);
    }
    case 'rollback':
    case 'cdn': {
      const [cdn, { Runner }, { createLogger }, { parseDuration }] = await Promise.all([
        import('./cdn.ts'),
        import('../core/run.ts'),
        import('../core/log.ts'),
        import('../core/duration.ts'),
      ]);
      const log = createLogger(redactor);
      const c = { workspaceRoot, file, envName, store, redactor, log, runner: new Runner(workspaceRoot, redactor, log) };
      const lockWaitMs = parseDuration(values['lock-wait'], '--lock-wait');
      if (command === 'rollback') {
        if (!sub) throw new UsageError('rollback needs the project: nx-deploy rollback <project> --env <env> [--to <release>]');
        const { rollback } = await import('./rollback.ts');
        return rollback(c, sub, { to: values.to, database: values.database, approve: values.approve, lockWaitMs });
      }
      if (sub === 'releases') return cdn.listReleases(c, values.project);
      if (sub === 'prune') return cdn.pruneReleases(c, values.project, lockWaitMs);
      throw new UsageError(`cdn needs 'releases' or 'prune'`);
    }
    case 'unpin': {
      if (!sub) throw new UsageError('unpin needs the project: nx-deploy unpin <project> --env <env>');
      const { Pins } = await import('../store/pins.ts');
      const released = await new Pins(store.blobs).unpin(envName, sub);
      console.log(released ? `${sub} is no longer pinned in ${envName}: its next deploy there goes ahead` : `${sub} was not pinned in ${envName}.`);
      return 0;
    }
    case 'proxy': {
      if (sub !== 'stop') throw new UsageError(`proxy needs 'stop'`);
      const { stopProxies } = await import('./proxy.ts');
      return stopProxies({ workspaceRoot, file, envName, store, redactor }, values.project);
    }
    case 'history': {
      const { records, damagedLines } = await store.ledger.read(envName);
      const shown = values.project ? records.filter((r) => r.project === values.project) : records;
      console.log(values.json ? JSON.stringify(shown, null, 2) : renderHistory(envName, shown, damagedLines));
      return 0;
    }
    case 'lock': {
      if (sub === 'status') {
        const status = await store.locks.status(envName);
        if (values.json) console.log(JSON.stringify(status ?? null, null, 2));
        else console.log(describeLock(envName, status));
        return 0;
      }
      if (sub === 'release') {
        const released = await store.locks.forceRelease(envName, values.force);
        console.log(released ? `released the ${envName} lock held by ${released.actor} (${released.what})` : `${envName} was not locked.`);
        return 0;
      }
      throw new UsageError(`lock needs 'status' or 'release'`);
    }
    default:
      throw new Error(`command '${command}' is listed in cli/usage.ts but not handled`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`nx-deploy: ${(err as Error).message}\n\n${generalUsage()}`);
      process.exit(2);
    }
    console.error(`nx-deploy: ${describeError(err, redactor.redact)}`);
    process.exit(1);
  },
);
