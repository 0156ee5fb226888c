import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { startTestHosts, type TestHosts } from '../support/test-hosts.ts';

// The test hosts the servers e2e deploys to: each reached only over SSH with its pinned host key, with
// its own podman storage, home and temp folder; a host reaches this machine's side of its own link
// (where the test registry listens) but neither another host nor this machine's loopback.
describe('test hosts (network namespaces with sshd and podman)', () => {
  let t: TestHosts;
  let dir: string;
  const ssh = (host: string, ...command: string[]) =>
    execa(
      'ssh',
      [
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
        '-o',
        'IdentitiesOnly=yes',
        '-i',
        join(dir, 'key'),
        `root@${host}`,
        '--',
        ...command,
      ],
      { reject: false },
    );

  beforeAll(async () => {
    t = await startTestHosts(2);
    dir = t.hosts[0]!.dir;
    writeFileSync(join(dir, 'key'), t.clientKey, { mode: 0o600 });
    writeFileSync(join(dir, 'known_hosts'), t.knownHosts());
  }, 60_000);
  afterAll(async () => t?.stop(), 60_000);

  it('each host answers SSH with its own environment: podman storage, home, temp folder', async () => {
    for (const h of t.hosts) {
      const res = await ssh(h.address, 'echo', '$HOME $TMPDIR $CONTAINERS_STORAGE_CONF; podman info --format {{.Store.GraphRoot}}');
      expect(res.exitCode, res.stderr).toBe(0);
      expect(res.stdout).toContain(`${h.home} ${join(h.dir, 'tmp')} ${h.env.CONTAINERS_STORAGE_CONF}`);
      expect(res.stdout).toContain(join(h.dir, 'containers', 'store'));
    }
  });

  it('reaches its gateway, not another host, and not this machine’s loopback', async () => {
    const [a, b] = t.hosts as [TestHosts['hosts'][0], TestHosts['hosts'][0]];
    const probe = (h: typeof a, url: string) => h.inside(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', url]);
    const port = await freePort();
    const server = execa('node', ['-e', `require('http').createServer((q,s)=>s.end('x')).listen(${port}, '${a.gateway}')`], { reject: false });
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect((await probe(b, `http://${a.gateway}:${port}/`)).stdout).toBe('200');
      expect((await probe(b, `http://${a.address}:22/`)).stdout).toBe('000');
      expect((await probe(a, `http://127.0.0.1:${port}/`)).stdout).toBe('000');
    } finally {
      server.kill();
    }
  });

  it('a changed host key is refused by strict checking', async () => {
    const h = t.hosts[1]!;
    await h.changeHostKey();
    const res = await ssh(h.address, 'true');
    expect(res.exitCode).toBe(255);
    expect(res.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
  });
});
