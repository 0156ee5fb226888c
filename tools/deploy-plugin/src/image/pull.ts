import { dirname } from 'node:path/posix';
import { RUN_ENGINES } from '../commands/engines.ts';
import { loginRegistry, pullImage, type RunEngine } from '../commands/image.ts';
import type { Environment } from '../config/environments.ts';
import { UserError } from '../core/errors.ts';
import type { Host } from '../core/host.ts';
import { registryScheme } from './engine.ts';

/**
 * Pulls the image to run by digest where it will run (this machine or a server). With registry
 * credentials in deploy.json it logs in for this pull only: the password through standard input
 * into a private auth file that is removed right after, whatever happened.
 */
export async function pullOnHost(
  host: Host,
  engine: RunEngine,
  image: string,
  containers: Environment['containers'],
  environ: NodeJS.ProcessEnv,
): Promise<void> {
  const insecure = containers ? registryScheme(containers.registry, containers.insecure) === 'http' : false;
  const username = containers?.usernameVariable ? environ[containers.usernameVariable] : undefined;
  if (!containers || !username) {
    await host.run(pullImage(engine, image, { insecure }));
    return;
  }
  const authFile = await host.writePrivateFile(
    RUN_ENGINES[engine].credentialsIn === 'docker-config' ? 'docker/config.json' : 'auth.json',
    '{"auths":{}}\n',
  );
  const dockerConfig = dirname(authFile);
  try {
    const password = containers.passwordVariable ? (environ[containers.passwordVariable] ?? '') : '';
    const login = await host.run(loginRegistry(engine, containers.registry, username, password, { authFile, dockerConfig, insecure }), {
      quiet: true,
      allowFailure: true,
    });
    if (login.exitCode !== 0)
      throw new UserError(
        `logging in to container registry ${containers.registry} as ${username} failed on ${host.label}: ${(login.stderr || login.stdout).trim().split('\n').at(-1)}. ` +
          `Check ${containers.usernameVariable} and ${containers.passwordVariable ?? '(no password variable)'}, that ${engine} works there and that it reaches the registry`,
      );
    await host.run(pullImage(engine, image, { authFile, dockerConfig, insecure }));
  } finally {
    await host.removePrivateFile(authFile);
  }
}
