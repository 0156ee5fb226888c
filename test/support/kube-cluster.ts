import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { testToolsDir } from '../../scripts/provision/tools-dir.mjs';
import { commandLineOf } from '../../tools/deploy-plugin/src/core/processes.ts';
import type { ContainerInfra } from './container-fixture.ts';
import { freePort } from './ports.ts';
import { isRunning, stopPid, waitFor } from './processes.ts';

const VERSION = 'v1.34.4';
/** The addresses of the cluster, all on this machine: one on lo for the node, a bridge for the pods. */
const NODE_IP = '10.253.0.1';
const BRIDGE = 'podk8sbr0';
const POD_CIDR = '10.253.16.0/24';
/**
 * Without kube-proxy nothing on this machine handles a ClusterIP: a packet to one would follow the
 * default route, off the machine. The range is blackholed for as long as the cluster runs.
 */
const SERVICE_CIDR = '10.253.128.0/20';

export interface KubeCluster {
  /** A kubeconfig for the cluster's admin (a static token; the API server's CA pinned). */
  kubeconfig: string;
  kubectl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A whole single-node Kubernetes (a REAL cluster, built by scripts/ci/kubernetes.sh; notes section
 * 13): etcd, kube-apiserver, kube-controller-manager, kube-scheduler on free loopback ports, a real
 * kubelet with its own containerd (socket, state and images in a temp dir) and runc, pods on a
 * bridge of the test's own with no route beyond it. The node pulls images from `infra`'s registry
 * over plain HTTP, the pause image too (built here from the kubernetes source's pause.c). Needs
 * root. `stop()` removes every pod, stops everything by PID and leaves no mount, cgroup, interface
 * or route behind.
 */
export async function startKubeCluster(infra: ContainerInfra): Promise<KubeCluster> {
  const bin = join(testToolsDir(), `kubernetes-${VERSION}`, 'bin');
  if (!existsSync(join(bin, 'kubelet')))
    throw new Error(`Kubernetes is not installed at ${bin}: run npm test (it provisions it) or scripts/ci/kubernetes.sh`);
  if (process.getuid?.() !== 0) throw new Error('the Kubernetes tests run a kubelet and containerd, which need root: run them as root (CI does)');
  // Short: containerd's socket and its shims' sockets live under it (a unix socket path has 108 bytes).
  const dir = mkdtempSync('/tmp/pk8s-');
  const cluster = new Cluster(dir, bin);
  try {
    await cluster.start(infra);
  } catch (err) {
    const logs = cluster.logTails();
    await cluster.stop();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
  return { kubeconfig: cluster.kubeconfig, kubectl: (...args) => cluster.kubectl(...args), stop: () => cluster.stop() };
}

class Cluster {
  readonly kubeconfig: string;
  private readonly pids = new Map<string, number>();
  private readonly undo: Array<() => Promise<unknown>> = [];
  private readonly socket: string;

  constructor(
    private readonly dir: string,
    private readonly bin: string,
  ) {
    this.kubeconfig = join(dir, 'admin.kubeconfig');
    this.socket = join(dir, 'containerd.sock');
  }

  async kubectl(...args: string[]): Promise<string> {
    return (await execa('kubectl', ['--kubeconfig', this.kubeconfig, ...args])).stdout;
  }

  async start(infra: ContainerInfra): Promise<void> {
    await this.network();
    const pause = await pauseImage(infra, this.dir, this.bin);
    const tokens = await this.pki();
    await this.containerd(infra.registry.host, pause);
    const [etcd, peer, api] = [await freePort(), await freePort(), await freePort()];
    this.spawn('etcd', [
      join(this.bin, 'etcd'),
      `--data-dir=${join(this.dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcd}`,
      `--advertise-client-urls=http://127.0.0.1:${etcd}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=default=http://127.0.0.1:${peer}`,
      '--unsafe-no-fsync',
    ]);
    await this.until('etcd', async () => (await fetch(`http://127.0.0.1:${etcd}/health`).catch(() => undefined))?.ok || undefined);
    const pki = join(this.dir, 'pki');
    this.spawn('kube-apiserver', [
      join(this.bin, 'kube-apiserver'),
      `--etcd-servers=http://127.0.0.1:${etcd}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${api}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      `--token-auth-file=${join(pki, 'tokens.csv')}`,
      `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      '--authorization-mode=Node,RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      '--enable-priority-and-fairness=false',
      // logs, exec and port-forward reach the kubelet on the node's address.
      '--kubelet-preferred-address-types=InternalIP',
    ]);
    this.kubeconfigFor(this.kubeconfig, api, tokens.admin);
    const kubeletConfig = join(this.dir, 'kubelet.kubeconfig');
    this.kubeconfigFor(kubeletConfig, api, tokens.kubelet);
    await this.until(
      'the API server',
      async () =>
        (await execa('kubectl', ['--kubeconfig', this.kubeconfig, 'get', '--raw', '/readyz'], { reject: false })).exitCode === 0 || undefined,
      60_000,
    );
    this.spawn('kube-controller-manager', [
      join(this.bin, 'kube-controller-manager'),
      `--kubeconfig=${this.kubeconfig}`,
      '--leader-elect=false',
      // node-lifecycle removes the node's not-ready taint; the service-account ones give pods their account.
      '--controllers=deployment-controller,replicaset-controller,serviceaccount-controller,serviceaccount-token-controller,namespace-controller,garbage-collector-controller,endpointslice-controller,root-ca-certificate-publisher-controller,pod-garbage-collector-controller,node-lifecycle-controller',
      `--service-account-private-key-file=${join(pki, 'sa.key')}`,
      `--root-ca-file=${join(pki, 'ca.crt')}`,
      '--use-service-account-credentials=false',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
    ]);
    this.spawn('kube-scheduler', [
      join(this.bin, 'kube-scheduler'),
      `--kubeconfig=${this.kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
    ]);
    await this.kubelet(kubeletConfig);
    const ready = () =>
      this.kubectl('get', 'node', 'pod-test-node', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}/{.spec.taints}').catch(() => '');
    await this.until('the node to be Ready and schedulable', async () => ((await ready()) === 'True/' ? true : undefined), 90_000);
    await this.until(
      'the default service account',
      async () =>
        (await execa('kubectl', ['--kubeconfig', this.kubeconfig, '-n', 'default', 'get', 'sa', 'default'], { reject: false })).exitCode === 0 ||
        undefined,
    );
  }

  /** The node's address (the kubelet refuses 127.0.0.0/8), and the service range blackholed. */
  private async network(): Promise<void> {
    const [links, addresses] = [(await execa('ip', ['-o', 'link', 'show'])).stdout, (await execa('ip', ['-o', 'addr', 'show'])).stdout];
    if (links.includes(`${BRIDGE}:`) || addresses.includes(` ${NODE_IP}/`))
      throw new Error(
        `${BRIDGE} or ${NODE_IP} exists already: another test cluster runs on this machine (one at a time), or one was not cleaned up (ip link del ${BRIDGE}; ip addr del ${NODE_IP}/32 dev lo)`,
      );
    await ip('route', 'add', 'blackhole', SERVICE_CIDR);
    this.undo.push(() => ip('route', 'del', 'blackhole', SERVICE_CIDR));
    // No dummy interfaces in this kernel: the address sits on lo (a /32, reachable only from this machine).
    await ip('addr', 'add', `${NODE_IP}/32`, 'dev', 'lo');
    this.undo.push(() => ip('addr', 'del', `${NODE_IP}/32`, 'dev', 'lo'));
    // The CNI bridge plugin creates the bridge with the first pod.
    this.undo.push(() => ip('link', 'del', BRIDGE));
  }

  /** A CA, the API server's certificate, the service-account key pair and two random static tokens. */
  private async pki(): Promise<{ admin: string; kubelet: string }> {
    const pki = join(this.dir, 'pki');
    mkdirSync(pki);
    const ssl = (...args: string[]) => execa('openssl', args, { cwd: pki });
    const tokens = { admin: randomToken(), kubelet: randomToken() };
    writeFileSync(
      join(pki, 'tokens.csv'),
      `${tokens.admin},admin,1000,"system:masters"\n${tokens.kubelet},system:node:pod-test-node,1001,"system:nodes"\n`,
      { mode: 0o600 },
    );
    writeFileSync(join(pki, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=pod-test-ca');
    await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver');
    await ssl(
      'x509',
      '-req',
      '-in',
      'apiserver.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'apiserver.crt',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    );
    await ssl('genrsa', '-out', 'sa.key', '2048');
    await ssl('rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
    return tokens;
  }

  private kubeconfigFor(file: string, port: number, token: string): void {
    const ca = join(this.dir, 'pki', 'ca.crt');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: pod-test, cluster: {server: "https://127.0.0.1:${port}", certificate-authority: "${ca}"}}]`,
        `users: [{name: u, user: {token: "${token}"}}]`,
        'contexts: [{name: pod-test, context: {cluster: pod-test, user: u}}]',
        'current-context: pod-test',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  }

  /**
   * containerd of the test's own: its socket, state and images under the temp dir; images pulled
   * from the test registry over plain HTTP; CNI: a bridge with no masquerading and no route beyond
   * the pods' own subnet, so a pod reaches nothing but the pods and this node.
   */
  private async containerd(registry: string, pause: string): Promise<void> {
    const d = this.dir;
    mkdirSync(join(d, 'cni'));
    mkdirSync(join(d, 'certs.d', registry), { recursive: true });
    writeFileSync(
      join(d, 'certs.d', registry, 'hosts.toml'),
      `server = "http://${registry}"\n[host."http://${registry}"]\n  capabilities = ["pull", "resolve"]\n`,
    );
    writeFileSync(
      join(d, 'cni', '10-pod-test.conflist'),
      JSON.stringify({
        cniVersion: '0.4.0',
        name: 'pod-test',
        plugins: [
          {
            type: 'bridge',
            bridge: BRIDGE,
            isGateway: true,
            ipMasq: false,
            hairpinMode: true,
            ipam: { type: 'host-local', ranges: [[{ subnet: POD_CIDR }]], routes: [], dataDir: join(d, 'cni-ipam') },
          },
          { type: 'loopback' },
        ],
      }),
    );
    const config = join(d, 'containerd.toml');
    writeFileSync(
      config,
      [
        'version = 2',
        `root = "${join(d, 'containerd', 'root')}"`,
        `state = "${join(d, 'containerd', 'state')}"`,
        '[grpc]',
        `  address = "${this.socket}"`,
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = "${join(d, 'containerd', 'opt')}"`,
        '[plugins."io.containerd.grpc.v1.cri"]',
        `  sandbox_image = "${pause}"`,
        '  stream_server_address = "127.0.0.1"',
        '  stream_server_port = "0"',
        // No CAP_SYS_RESOURCE on this kind of machine: runc cannot lower the pause container's oom_score_adj.
        '  restrict_oom_score_adj = true',
        '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
        '    runtime_type = "io.containerd.runc.v2"',
        '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
        '      SystemdCgroup = false',
        '  [plugins."io.containerd.grpc.v1.cri".cni]',
        '    bin_dir = "/usr/lib/cni"',
        `    conf_dir = "${join(d, 'cni')}"`,
        '  [plugins."io.containerd.grpc.v1.cri".registry]',
        `    config_path = "${join(d, 'certs.d')}"`,
        '',
      ].join('\n'),
    );
    this.spawn('containerd', ['containerd', '--config', config]);
    await this.until(
      'containerd',
      async () => (await execa('ctr', ['--address', this.socket, 'version'], { reject: false })).exitCode === 0 || undefined,
    );
  }

  private async kubelet(kubeconfig: string): Promise<void> {
    const config = join(this.dir, 'kubelet.yaml');
    writeFileSync(
      config,
      [
        'apiVersion: kubelet.config.k8s.io/v1beta1',
        'kind: KubeletConfiguration',
        // This kind of machine: cgroup v1, PID 1 not systemd, swap allowed.
        'cgroupDriver: cgroupfs',
        'failCgroupV1: false',
        'failSwapOn: false',
        `containerRuntimeEndpoint: unix://${this.socket}`,
        'authentication: {anonymous: {enabled: true}, webhook: {enabled: false}, x509: {}}',
        'authorization: {mode: AlwaysAllow}',
        // No DNS server reachable from a pod: none is given to them.
        'resolvConf: ""',
        `podLogsDir: ${join(this.dir, 'pod-logs')}`,
        'evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}',
        'imageGCHighThresholdPercent: 100',
        'imageGCLowThresholdPercent: 99',
        'serializeImagePulls: false',
        `address: ${NODE_IP}`,
        `port: ${await freePort()}`,
        'healthzPort: 0',
        'readOnlyPort: 0',
        'syncFrequency: 10s',
        'nodeStatusUpdateFrequency: 5s',
        '',
      ].join('\n'),
    );
    this.spawn('kubelet', [
      join(this.bin, 'kubelet'),
      `--config=${config}`,
      `--kubeconfig=${kubeconfig}`,
      '--hostname-override=pod-test-node',
      `--node-ip=${NODE_IP}`,
      `--root-dir=${join(this.dir, 'kubelet')}`,
      `--cert-dir=${join(this.dir, 'kubelet-pki')}`,
    ]);
  }

  private spawn(name: string, argv: string[]): void {
    const fd = openSync(join(this.dir, `${name}.log`), 'a');
    try {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd] });
      child.on('error', () => undefined);
      if (child.pid) this.pids.set(name, child.pid);
    } finally {
      closeSync(fd);
    }
  }

  /** Waits for `probe`, failing at once with the component's log when one of them died. */
  private async until(what: string, probe: () => Promise<true | undefined>, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      what,
      async () => {
        for (const [name, pid] of this.pids) if (!isRunning(pid)) throw new Error(`${name} exited while waiting for ${what}`);
        return probe();
      },
      timeoutMs,
    );
  }

  logTails(): string {
    return [...this.pids.keys()]
      .map((name) => {
        const file = join(this.dir, `${name}.log`);
        const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-8) : [];
        return `--- ${name}.log\n${lines.join('\n')}`;
      })
      .join('\n');
  }

  async stop(): Promise<void> {
    const stop = async (name: string, graceMs = 5_000) => {
      await stopPid(this.pids.get(name), graceMs);
      this.pids.delete(name);
    };
    await stop('kubelet');
    // The pods' sandboxes through the CRI: their network namespaces, addresses and mounts are released.
    if (this.pids.has('containerd'))
      await execa(join(this.bin, 'crictl'), ['--runtime-endpoint', `unix://${this.socket}`, '--timeout', '20s', 'rmp', '-fa'], { reject: false });
    await Promise.all(['kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd', 'containerd'].map((n) => stop(n)));
    // Shims outlive containerd: any still naming this cluster's socket is stopped by PID.
    for (const pid of processesNaming(this.dir)) await stopPid(pid, 2_000);
    await unmountUnder(this.dir);
    removeCgroups();
    for (const undo of this.undo.reverse()) await undo().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const ip = (...args: string[]) => execa('ip', args);

function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('hex');
}

/** The pause image (each pod's sandbox): a static binary FROM scratch, pushed to the test registry. */
async function pauseImage(infra: ContainerInfra, dir: string, bin: string): Promise<string> {
  const context = join(dir, 'pause-image');
  mkdirSync(context);
  writeFileSync(join(context, 'Containerfile'), 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n');
  await execa('cp', [join(bin, 'pause'), join(context, 'pause')]);
  const ref = `${infra.registry.host}/pause:3.10`;
  await infra.podman('build', '-q', '-t', ref, context);
  await infra.podman('push', '-q', '--tls-verify=false', ref);
  return ref;
}

function processesNaming(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((pid) => pid !== process.pid && commandLineOf(pid)?.some((a) => a.includes(dir)));
}

/** Mounts the kubelet and containerd made under the cluster's folder, deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => Boolean(m && m.startsWith(`${dir}/`)))
    .reverse();
  for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
}

/** The kubelet's pod cgroups (cgroupfs driver: kubepods under each v1 controller), empty once the pods are gone. */
function removeCgroups(): void {
  const base = '/sys/fs/cgroup';
  if (!existsSync(base)) return;
  for (const controller of readdirSync(base)) {
    const root = join(base, controller, 'kubepods');
    if (!existsSync(root)) continue;
    const dirs: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
      dirs.push(d);
    };
    try {
      walk(root);
      for (const d of dirs) rmdirSync(d);
    } catch {
      // A cgroup still holding a process: left for the machine to show (stop found no process to stop).
    }
  }
}
