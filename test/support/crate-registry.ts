import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from './ports.ts';
import { stopPid, waitFor } from './processes.ts';
// @ts-expect-error: a plain ESM module of the provisioning script, without types
import { testToolsDir } from '../../scripts/provision/tools-dir.mjs';

/**
 * A REAL crate registry for `cargo publish` and `cargo build`: cargo-http-registry (crates.io), one
 * process per call on a free 127.0.0.1 port, its data in a temp dir removed on stop().
 * scripts/ci/crate-registry.sh installs it (into /opt/pod-test-tools/bin unless POD_TEST_TOOLS says otherwise).
 *
 * How cargo talks to it:
 * - index: a git repository the server commits to on every publish, served over git's "dumb" HTTP
 *   protocol at {apiUrl}/git. Cargo must fetch it with the git CLI (net.git-fetch-with-cli), as libgit2
 *   does not speak dumb HTTP. (The server also serves its data dir under /crates/, but that is no
 *   sparse index: an unknown crate answers 405 instead of 404, which cargo treats as an error.)
 * - publish: PUT {apiUrl}/api/v1/crates/new, cargo's real upload format.
 * - download: {apiUrl}/api/v1/crates/{name}/{version}/download, a redirect to the .crate file.
 * Limits of this server, so tests do not count on them: it checks no token (cargo still wants one to
 * publish, so `token` is a random string), and it does not refuse an already published version
 * itself: `cargo publish` refuses it before uploading because it reads the index first.
 */
export interface CrateRegistry {
  /** Registry name for `cargo publish --registry NAME` and `registry = "NAME"` in Cargo.toml. */
  name: string;
  indexUrl: string;
  apiUrl: string;
  token: string;
  /** The server's data dir: the git index, config.json, and the uploaded .crate files. */
  dataDir: string;
  /**
   * Environment for a cargo child process: a fresh CARGO_HOME whose config.toml knows the registry,
   * the same settings as CARGO_REGISTRIES_<NAME>_* variables (for tools that pass a CARGO_HOME of
   * their own), the token, and RUSTUP_HOME so the rustup proxy still finds the toolchain.
   */
  cargoEnv(): Record<string, string>;
  stop(): Promise<void>;
}

const VERSION = '0.1.8';

export function crateRegistryBinary(): string {
  const bin = process.env.CARGO_HTTP_REGISTRY_BIN ?? join(testToolsDir(), 'bin', 'cargo-http-registry');
  if (!existsSync(bin))
    throw new Error(`cargo-http-registry ${VERSION} is not installed at ${bin}: run scripts/ci/crate-registry.sh (or set CARGO_HTTP_REGISTRY_BIN)`);
  return bin;
}

/**
 * The cargo home the machine already uses (CARGO_HOME or ~/.cargo). Its crates.io cache is shared
 * with the fresh homes below so crates.io dependencies are not downloaded again for every registry.
 */
function sharedCargoHome(): string {
  return process.env.CARGO_HOME ?? join(homedir(), '.cargo');
}

function linkCratesIoCache(into: string) {
  const from = join(sharedCargoHome(), 'registry');
  for (const kind of ['index', 'cache', 'src']) {
    const dir = join(from, kind);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) {
      // Only crates.io's own entries (index.crates.io-<hash>): the local registry's index cache stays private.
      if (!entry.startsWith('index.crates.io-')) continue;
      mkdirSync(join(into, 'registry', kind), { recursive: true });
      symlinkSync(join(dir, entry), join(into, 'registry', kind, entry));
    }
  }
}

export async function startCrateRegistry(options: { name?: string } = {}): Promise<CrateRegistry> {
  const name = options.name ?? 'local';
  // No dashes: cargo reads CARGO_REGISTRIES_MY_REG_INDEX as registry "my_reg", so "my-reg" would be
  // defined twice (config.toml and environment) and cargo prints a note about it on every command.
  if (!/^[a-z][a-z0-9_]*$/.test(name))
    throw new Error(`startCrateRegistry: registry name "${name}" must be lowercase letters, digits and underscores`);
  const bin = crateRegistryBinary();
  const dir = mkdtempSync(join(tmpdir(), 'pod-crates-'));
  const dataDir = join(dir, 'registry');
  const cargoHome = join(dir, 'cargo-home');
  const logFile = join(dir, 'server.log');
  mkdirSync(cargoHome);

  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const indexUrl = `${apiUrl}/git`;
  const token = `pod-${randomBytes(12).toString('hex')}`;

  const log = openSync(logFile, 'a');
  const child = spawn(bin, ['--addr', `127.0.0.1:${port}`, '-v', dataDir], {
    stdio: ['ignore', log, log],
    // The server commits to its git index; fixed identity so a machine without git config works.
    env: { ...process.env, GIT_AUTHOR_NAME: 'pod-test-registry', GIT_AUTHOR_EMAIL: 'registry@127.0.0.1' },
  });
  closeSync(log);
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));

  const stop = async () => {
    await stopPid(child.pid);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      `cargo-http-registry on ${apiUrl}`,
      async () => {
        if (exited) throw new Error(`cargo-http-registry ${exited} before serving:\n${readFileSync(logFile, 'utf8')}`);
        const res = await fetch(`${apiUrl}/git/HEAD`).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      15_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }

  writeFileSync(
    join(cargoHome, 'config.toml'),
    [
      `[registries.${name}]`,
      `index = "${indexUrl}"`,
      '',
      '[net]',
      '# libgit2 cannot fetch over dumb HTTP; the git CLI can.',
      'git-fetch-with-cli = true',
      '# A test fails fast instead of retrying a dead loopback server.',
      'retry = 0',
      '',
    ].join('\n'),
  );
  linkCratesIoCache(cargoHome);

  const envName = name.toUpperCase();
  const rustupHome = process.env.RUSTUP_HOME ?? join(homedir(), '.rustup');
  return {
    name,
    indexUrl,
    apiUrl,
    token,
    dataDir,
    cargoEnv: () => ({
      CARGO_HOME: cargoHome,
      ...(existsSync(rustupHome) ? { RUSTUP_HOME: rustupHome } : {}),
      [`CARGO_REGISTRIES_${envName}_INDEX`]: indexUrl,
      [`CARGO_REGISTRIES_${envName}_TOKEN`]: token,
      CARGO_NET_GIT_FETCH_WITH_CLI: 'true',
      CARGO_TERM_COLOR: 'never',
    }),
    stop,
  };
}
