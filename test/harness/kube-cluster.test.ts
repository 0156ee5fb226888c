import { readdirSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerInfra, type ContainerInfra } from '../support/container-fixture.ts';
import { startKubeCluster, type KubeCluster } from '../support/kube-cluster.ts';

// The single-node cluster the Kubernetes roll-out tests use (test/support/kube-cluster.ts): every
// address stays on this machine, and stop leaves no process, mount, cgroup, interface or route.
describe('test Kubernetes cluster', () => {
  let infra: ContainerInfra;
  let cluster: KubeCluster;
  const leftovers = async () => ({
    routes: (await execa('ip', ['route', 'show', 'table', 'all'])).stdout.split('\n').filter((l) => l.includes('10.253.')),
    addresses: (await execa('ip', ['-o', 'addr', 'show'])).stdout.split('\n').filter((l) => l.includes('10.253.')),
    links: (await execa('ip', ['-o', 'link', 'show'])).stdout.split('\n').filter((l) => l.includes('podk8s')),
    mounts: readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .filter((l) => l.includes('/tmp/pk8s-')),
    folders: readdirSync('/tmp').filter((d) => d.startsWith('pk8s-')),
  });

  beforeAll(async () => {
    infra = await startContainerInfra('k8s-harness');
  }, 300_000);
  afterAll(async () => {
    await cluster?.stop();
    await infra?.stop();
  }, 120_000);

  it('starts a Ready node whose pods have no route off their bridge, with the service range blackholed', async () => {
    expect(await leftovers()).toEqual({ routes: [], addresses: [], links: [], mounts: [], folders: [] });
    cluster = await startKubeCluster(infra);
    expect(await cluster.kubectl('get', 'nodes', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}')).toBe('True');
    // A ClusterIP goes nowhere (no kube-proxy here): not to the default gateway, off this machine.
    const route = await execa('ip', ['route', 'get', '10.253.128.1'], { reject: false, all: true });
    expect(route.exitCode).not.toBe(0);
    expect(route.all).not.toMatch(/ via /);
    const namespaces = async () => (await execa('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!);
    const before = await namespaces();
    await cluster.kubectl(
      'run',
      'probe',
      '--image',
      `${infra.registry.host}/pause:3.10`,
      '--restart=Never',
      '--overrides',
      '{"spec":{"terminationGracePeriodSeconds":0}}',
    );
    await cluster.kubectl('wait', '--for=condition=Ready', 'pod/probe', '--timeout=60s');
    const ip = await cluster.kubectl('get', 'pod', 'probe', '-o', 'jsonpath={.status.podIP}');
    expect(ip).toMatch(/^10\.253\.16\.\d+$/);
    // The pod's own routes: its bridge's subnet and nothing else (no default route to leave by).
    const [netns] = (await namespaces()).filter((n) => n && !before.includes(n));
    const routes = (await execa('ip', ['netns', 'exec', netns!, 'ip', '-4', 'route'])).stdout.split('\n');
    expect(routes).toEqual([expect.stringMatching(/^10\.253\.16\.0\/24 dev eth0 /)]);
  }, 180_000);

  it('stops leaving no process, mount, interface, address, route or folder behind', async () => {
    await cluster.stop();
    expect(await leftovers()).toEqual({ routes: [], addresses: [], links: [], mounts: [], folders: [] });
    const kubeProcesses = (await execa('ps', ['-eo', 'args'])).stdout.split('\n').filter((l) => l.includes('/tmp/pk8s-'));
    expect(kubeProcesses).toEqual([]);
  }, 120_000);
});
