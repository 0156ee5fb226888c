import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES } from '../commands/engines.ts';
import { loginRegistry, type Engine } from '../commands/image.ts';
import type { Environment } from '../config/environments.ts';
import { UserError } from '../core/errors.ts';
import { CommandFailed, type Runner } from '../core/run.ts';
import { registryScheme } from './engine.ts';

export interface RegistryAuth {
  authFile?: string;
  dockerConfig?: string;
  username?: string;
  password?: string;
}

/**
 * Logs in to the environment's registry into a temporary auth file (mode 0600, removed by
 * `done`), when deploy.json names credential variables; otherwise nothing.
 */
export async function registryLogin(
  engine: Engine,
  env: Environment,
  environ: NodeJS.ProcessEnv,
  runner: Runner,
): Promise<RegistryAuth & { done(): void }> {
  const c = env.containers!;
  const username = c.usernameVariable ? environ[c.usernameVariable] : undefined;
  const password = c.passwordVariable ? environ[c.passwordVariable] : undefined;
  if (!username) return { done: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-registry-auth-'));
  const authFile = join(dir, 'auth.json');
  writeFileSync(authFile, '{"auths":{}}\n', { mode: 0o600 });
  const done = () => rmSync(dir, { recursive: true, force: true });
  try {
    await runner.run(
      loginRegistry(engine, c.registry, username, password ?? '', {
        authFile,
        dockerConfig: dir,
        insecure: registryScheme(c.registry, c.insecure) === 'http',
      }),
      { quiet: true },
    );
  } catch (err) {
    done();
    if (!(err instanceof CommandFailed)) throw err;
    const why = (err.result.stderr || err.result.stdout).trim().split('\n').at(-1);
    throw new UserError(
      `container registry ${c.registry} refused the login of ${username} (${why}); check the values of ${c.usernameVariable} and ${c.passwordVariable ?? '(no password variable)'} ` +
        `(deploy.json containers.usernameVariable / passwordVariable). Nothing was built or rolled out.`,
    );
  }
  // docker login writes config.json in DOCKER_CONFIG; podman and buildah write the same format to
  // --authfile, copied there so skopeo, cosign and syft (which read DOCKER_CONFIG) find it whatever the engine.
  const dockerFile = join(dir, 'config.json');
  if (ENGINES[engine].credentialsIn === 'auth-file') {
    copyFileSync(authFile, dockerFile);
    chmodSync(dockerFile, 0o600);
  }
  return { authFile: ENGINES[engine].credentialsIn === 'docker-config' ? dockerFile : authFile, dockerConfig: dir, username, password, done };
}
