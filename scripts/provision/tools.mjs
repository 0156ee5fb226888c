// Every system tool `npm test` needs, as data: what to call it, how to tell it is there, how to
// install it. A new tool is one entry.
//   check    commands that must be on PATH, or absolute paths that must exist; all of them
//   install  { apt: [packages] }                 apt-get install, needs root
//            { script, root }                    one of scripts/ci/*.sh; root: whether it needs root
//            { manual: 'what to do' }            cannot be installed from here; provisioning says what to do
//   buildsOnly  needed only to build those other tools (a name or names), so checked only while one is missing
import { join } from 'node:path';
import { NX_FIXTURES, cacheWarmedMarker, fixtureInstallDir } from './nx-fixtures.mjs';
import { testToolsDir } from './tools-dir.mjs';

export const tools = [
  { name: 'git', check: ['git'], install: { apt: ['git'] } },
  // initdb and pg_ctl start throwaway clusters; psql, pg_dump and pg_restore are what deploy runs.
  {
    name: 'PostgreSQL 15',
    check: ['/usr/lib/postgresql/15/bin/initdb', 'psql', 'pg_dump', 'pg_restore'],
    install: { apt: ['postgresql-15', 'postgresql-client-15'] },
  },
  {
    name: 'container tools',
    check: ['podman', 'buildah', 'skopeo', 'runc', 'docker-registry', 'htpasswd', 'docker'],
    install: { script: 'scripts/ci/containers.sh', root: true },
  },
  // Test servers: network namespaces (ip, nsenter) each with its own sshd, reached with the ssh client;
  // curl probes from inside a namespace.
  {
    name: 'SSH and network namespaces',
    check: ['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'ip', 'nsenter', 'curl'],
    install: { apt: ['openssh-server', 'openssh-client', 'iproute2', 'util-linux', 'curl'] },
  },
  // The reverse proxy of the cut-over (its runtime API switches traffic without a reload).
  { name: 'HAProxy', check: ['/usr/sbin/haproxy'], install: { apt: ['haproxy'] } },
  // kustomize and the Kubernetes roll-out tests; docker-compose 1.29 drives the compose runtime test.
  { name: 'kubectl', check: ['kubectl'], install: { apt: ['kubernetes-client'] } },
  { name: 'docker-compose', check: ['docker-compose'], install: { apt: ['docker-compose'] } },
  // The Kubernetes roll-out tests' node: containerd (the CRI runtime, with runc) and the CNI plugins
  // its pods' bridge network is made of.
  {
    name: 'containerd and CNI plugins',
    check: ['containerd', 'ctr', '/usr/lib/cni/bridge', '/usr/lib/cni/host-local', '/usr/lib/cni/loopback'],
    install: { apt: ['containerd', 'containernetworking-plugins'] },
  },
  // A short-lived self-signed certificate for the TLS runtime check's test.
  { name: 'openssl', check: ['openssl'], install: { apt: ['openssl'] } },
  // Debian's Chromium: the frontend's browser smoke test (playwright-core drives it; it downloads no browser).
  { name: 'Chromium', check: ['chromium'], install: { apt: ['chromium'] } },
  { name: 'cargo', check: ['cargo'], install: { manual: 'install Rust with rustup (https://rustup.rs), then open a new shell' } },
  // cargo-http-registry vendors libgit2 and links OpenSSL (openssl-sys); the pause binary is static C.
  {
    name: 'C build tools',
    check: ['cc', 'pkg-config', '/usr/include/openssl/ssl.h'],
    install: { apt: ['gcc', 'libc6-dev', 'pkg-config', 'libssl-dev'] },
    buildsOnly: ['cargo-http-registry', 'Kubernetes'],
  },
  {
    name: 'cargo-http-registry',
    check: [join(testToolsDir(), 'bin', 'cargo-http-registry')],
    install: { script: 'scripts/ci/crate-registry.sh', root: false },
  },
  // A real S3 server that honours conditional writes, for the state store tests.
  {
    name: 'versitygw',
    check: [join(testToolsDir(), 'bin', 'versitygw')],
    install: { script: 'scripts/ci/versitygw.sh', root: false },
  },
  // A real SMTP server with an HTTP API to read back what it received, for the alert e-mail tests.
  {
    name: 'mailpit',
    check: [join(testToolsDir(), 'bin', 'mailpit')],
    install: { script: 'scripts/ci/mailpit.sh', root: false },
  },
  // A real forge for the release tests: tags pushed to it over HTTP, releases created through the GitHub REST API.
  {
    name: 'Gitea',
    check: [join(testToolsDir(), 'gitea-v1.26.0', 'gitea')],
    install: { script: 'scripts/ci/gitea.sh', root: false },
  },
  // A real single-node cluster for the Kubernetes roll-out tests: the control plane, a kubelet, etcd
  // and crictl built from the Go module proxy (the longest build: ~5-9 min), the pause binary with cc.
  {
    name: 'Kubernetes',
    check: ['kubelet', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd', 'crictl', 'pause'].map((b) =>
      join(testToolsDir(), 'kubernetes-v1.34.4', 'bin', b),
    ),
    install: { script: 'scripts/ci/kubernetes.sh', root: false },
  },
  // build-image signs digests and attaches an SBOM with them; promotion verifies both.
  {
    name: 'cosign and syft',
    check: [join(testToolsDir(), 'bin', 'cosign'), join(testToolsDir(), 'bin', 'syft')],
    install: { script: 'scripts/ci/signing-tools.sh', root: false },
  },
  // actionlint checks .github/workflows; with shellcheck on PATH it also checks every run: script.
  { name: 'shellcheck', check: ['shellcheck'], install: { apt: ['shellcheck'] } },
  {
    name: 'actionlint',
    check: [join(testToolsDir(), 'bin', 'actionlint')],
    install: { script: 'scripts/ci/actionlint.sh', root: false },
  },
  // The predeploy secrets check's scanner, run by its tests on a planted key.
  {
    name: 'gitleaks',
    check: [join(testToolsDir(), 'bin', 'gitleaks')],
    install: { script: 'scripts/ci/gitleaks.sh', root: false },
  },
  // deploy.yml's approval lookup reads the API's answer with jq (as GitHub's runners have it).
  { name: 'jq', check: ['jq'], install: { apt: ['jq'] } },
  // A GitHub Actions engine: the act test runs .github/workflows/deploy.yml with this machine as the runner.
  {
    name: 'act',
    check: [join(testToolsDir(), 'bin', 'act')],
    install: { script: 'scripts/ci/act.sh', root: false },
  },
  // Nx workspaces made as create-nx-workspace makes them, which the adoption tests add the packed plugin to.
  {
    name: 'Nx fixture workspaces',
    check: NX_FIXTURES.flatMap((f) => [join(fixtureInstallDir(f), 'node_modules', '.bin', 'nx'), cacheWarmedMarker(f)]),
    install: { script: 'scripts/ci/nx-fixtures.sh', root: false },
  },
];
