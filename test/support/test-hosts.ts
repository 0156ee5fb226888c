// Test "servers" on this machine: each a network namespace with its own address on a veth pair, its
// own sshd, its own podman storage and configuration, its own home and temp folders. A deploy
// reaches a host only through SSH and the test registry (see the infra notes, section 14).
//
// Machine facts behind the choices: sshd is started with `nsenter --net` (not `ip netns exec`, which
// remounts /sys and hides the cgroup mounts podman needs); sshd's SetEnv gives each host's sessions
// its podman configuration (CONTAINERS_*), HOME and TMPDIR, as a real server has its own; every
// address is in 10.213.0.0/16, one /30 per host, which exists only between this machine and the
// namespace. Hosts reach this machine's side of their own veth (their default route), where a
// registry the test starts can listen; they do not reach each other.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { containerEnv, removeContainers, removeContainerDir, type ContainerEnv } from './containers.ts';
import { stopPid, waitFor } from './processes.ts';

export interface TestHost {
  /** Its network namespace (also used as its name in messages). */
  netns: string;
  /** Its address, where sshd and the services listen. */
  address: string;
  /** This machine's side of the veth pair: the host's default route, reachable from it. */
  gateway: string;
  /** Everything of this host: its podman storage, home, temp folder, sshd files. */
  dir: string;
  home: string;
  env: ContainerEnv;
  /** Its known_hosts line. */
  knownHostsLine(): string;
  sshdPid(): number | undefined;
  /** podman of this host (its storage and configuration), run by the test from this machine. */
  podman(...args: string[]): Promise<string>;
  /** A command inside the host's network namespace (e.g. curl its loopback). */
  inside(argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  startSshd(): Promise<void>;
  stopSshd(): Promise<void>;
  /** A new host key, sshd restarted with it: what a replaced (or impersonated) server looks like. */
  changeHostKey(): Promise<void>;
  /** The lines sshd logged (connections accepted, ...). */
  sshdLog(): string;
  /**
   * Starts podman's Docker-compatible API inside the host (its sessions' DOCKER_HOST), for the docker
   * CLI and docker-compose there; `insecureRegistries` are plain-HTTP registries its podman may use.
   */
  startDockerApi(insecureRegistries: string[]): Promise<void>;
  /** Stops what runs in it: its Docker API, its sshd, and whatever else runs in its network namespace. */
  shutdown(): Promise<void>;
}

export interface TestHosts {
  hosts: TestHost[];
  /** The private key the hosts accept for root, and the known_hosts lines of every host. */
  clientKey: string;
  knownHosts(): string;
  stop(): Promise<void>;
}

const RANGE = '10.213';

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

/** The third octets of 10.213.x.0/30 blocks not in use on this machine (leftovers of a crashed run included). */
function freeBlocks(n: number): number[] {
  const used = new Set(
    [...ip('-o', '-4', 'addr').matchAll(new RegExp(`inet ${RANGE.replace('.', '\\.')}\\.(\\d+)\\.`, 'g'))].map((m) => Number(m[1])),
  );
  const netns = existsSync('/run/netns') ? execFileSync('ls', ['/run/netns'], { encoding: 'utf8' }) : '';
  // Start at a place of this process's own, so two test processes rarely reach for the same block.
  const start = process.pid % 250;
  const free = Array.from({ length: 250 }, (_, i) => ((start + i) % 250) + 1)
    .filter((x) => !used.has(x) && !netns.includes(`podh${x}\n`))
    .slice(0, n);
  if (free.length < n) throw new Error(`only ${free.length} free /30 blocks left in ${RANGE}.0.0/16, ${n} needed`);
  return free;
}

/** Starts `count` hosts, each with sshd accepting one generated key for root. */
export async function startTestHosts(count: number): Promise<TestHosts> {
  const root = mkdtempSync(join(tmpdir(), 'pod-hosts-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'pod-deploy-test', '-f', join(root, 'client_key')]);
  const clientKey = readFileSync(join(root, 'client_key'), 'utf8');
  const hosts: TestHost[] = [];
  const stop = async () => {
    for (const h of hosts) {
      await removeContainers(h.env).catch(() => undefined);
      await h.shutdown().catch(() => undefined);
      await removeContainerDir(join(h.dir, 'containers'), h.env).catch(() => undefined);
      execFileSync('ip', ['link', 'del', `${h.netns}o`], { stdio: 'ignore' });
      execFileSync('ip', ['netns', 'del', h.netns], { stdio: 'ignore' });
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    mkdirSync('/run/sshd', { recursive: true });
    for (const x of freeBlocks(count)) hosts.push(await startHost(root, x));
  } catch (err) {
    await stop();
    throw err;
  }
  return { hosts, clientKey, knownHosts: () => hosts.map((h) => h.knownHostsLine()).join('\n') + '\n', stop };
}

async function startHost(root: string, x: number): Promise<TestHost> {
  const netns = `podh${x}`;
  const [gateway, address] = [`${RANGE}.${x}.1`, `${RANGE}.${x}.2`];
  const dir = join(root, netns);
  const home = join(dir, 'home');
  for (const d of [home, join(dir, 'tmp'), join(dir, 'sshd')]) mkdirSync(d, { recursive: true });
  ip('netns', 'add', netns);
  try {
    return await configureHost(root, x, dir, home);
  } catch (err) {
    execFileSync('ip', ['link', 'del', `${netns}o`], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
    throw err;
  }
}

async function configureHost(root: string, x: number, dir: string, home: string): Promise<TestHost> {
  const netns = `podh${x}`;
  const [gateway, address] = [`${RANGE}.${x}.1`, `${RANGE}.${x}.2`];
  ip('link', 'add', `${netns}o`, 'type', 'veth', 'peer', 'name', `${netns}i`);
  ip('link', 'set', `${netns}i`, 'netns', netns);
  ip('addr', 'add', `${gateway}/30`, 'dev', `${netns}o`);
  ip('link', 'set', `${netns}o`, 'up');
  const inNs = (...args: string[]) => execFileSync('nsenter', [`--net=/run/netns/${netns}`, ...args], { encoding: 'utf8' });
  inNs('ip', 'addr', 'add', `${address}/30`, 'dev', `${netns}i`);
  inNs('ip', 'link', 'set', `${netns}i`, 'up');
  inNs('ip', 'link', 'set', 'lo', 'up');
  inNs('ip', 'route', 'add', 'default', 'via', gateway);

  const env = containerEnv(join(dir, 'containers'));
  const sshd = join(dir, 'sshd');
  const hostKey = join(sshd, 'host_key');
  const newHostKey = () => {
    rmSync(hostKey, { force: true });
    rmSync(`${hostKey}.pub`, { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', netns, '-f', hostKey]);
  };
  newHostKey();
  writeFileSync(join(sshd, 'authorized_keys'), readFileSync(join(root, 'client_key.pub')));
  const dockerSocket = join(dir, 'docker.sock');
  const setEnv = Object.entries({ ...env, HOME: home, TMPDIR: join(dir, 'tmp'), DOCKER_HOST: `unix://${dockerSocket}` })
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  writeFileSync(
    join(sshd, 'sshd_config'),
    [
      `ListenAddress ${address}`,
      'Port 22',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(sshd, 'authorized_keys')}`,
      `PidFile ${join(sshd, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'LogLevel VERBOSE',
      `SetEnv ${setEnv}`,
      '',
    ].join('\n'),
  );
  const pidFile = join(sshd, 'sshd.pid');
  let dockerApiPid: number | undefined;
  const sshdPid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined);
  const host: TestHost = {
    netns,
    address,
    gateway,
    dir,
    home,
    env,
    knownHostsLine: () => `${address} ${readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}`,
    sshdPid,
    podman: async (...args) => (await execa('podman', args, { env: { ...process.env, ...env } })).stdout,
    inside: async (argv) => {
      const r = await execa('nsenter', [`--net=/run/netns/${netns}`, ...argv], { reject: false });
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    startSshd: async () => {
      rmSync(pidFile, { force: true });
      // sshd forks into the background and writes its PID file once it listens.
      execFileSync('nsenter', [`--net=/run/netns/${netns}`, '/usr/sbin/sshd', '-f', join(sshd, 'sshd_config'), '-E', join(sshd, 'sshd.log')]);
      await waitFor(`sshd of ${netns}`, () => sshdPid(), 10_000);
    },
    stopSshd: async () => {
      await stopPid(sshdPid());
      rmSync(pidFile, { force: true });
    },
    changeHostKey: async () => {
      await host.stopSshd();
      newHostKey();
      await host.startSshd();
    },
    sshdLog: () => (existsSync(join(sshd, 'sshd.log')) ? readFileSync(join(sshd, 'sshd.log'), 'utf8') : ''),
    startDockerApi: async (insecureRegistries) => {
      containerEnv(join(dir, 'containers'), { insecureRegistries });
      const child = spawn('nsenter', [`--net=/run/netns/${netns}`, 'podman', 'system', 'service', '--time=0', `unix://${dockerSocket}`], {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
      dockerApiPid = child.pid;
      await waitFor(`podman's Docker API in ${netns}`, () => existsSync(dockerSocket) || undefined, 15_000);
    },
    shutdown: async () => {
      await stopPid(dockerApiPid, 10_000);
      await host.stopSshd();
      // What deploys left running in the host (a proxy, a service's processes): stopped by PID.
      const left = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
      for (const pid of left) await stopPid(pid);
    },
  };
  await host.startSshd();
  return host;
}
