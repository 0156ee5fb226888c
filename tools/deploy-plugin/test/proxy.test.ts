import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haproxyCheck, haproxyConfig, haproxyStart, parseServersState, routeCommands } from '../src/commands/haproxy.ts';
import { listeningPorts, pickFreePort } from '../src/core/ports.ts';
import { runtimeApiSocket } from '../src/proxy/service-proxy.ts';
import { renderRunSummary, renderRunSummaryMarkdown } from '../src/deploy/run-summary.ts';
import { describePin } from '../src/store/pins.ts';
import { strategySchema } from '../src/config/proxy.ts';
import { deployFileSchema } from '../src/config/environments.ts';

describe('the HAProxy of a service', () => {
  const layout = { listen: '127.0.0.1:3000', socket: '/s/api.sock', cookie: 'nxd_api', slots: { a: { port: 24567, weight: 100 } } };

  it('one frontend on the public address, one backend of two slots; an empty slot is in maintenance on port 1', () => {
    const cfg = haproxyConfig(layout);
    expect(cfg).toContain('  stats socket /s/api.sock mode 600 level admin');
    expect(cfg).toContain('  bind 127.0.0.1:3000');
    expect(cfg).toContain('  cookie nxd_api insert indirect nocache httponly');
    expect(cfg).toContain('  server a 127.0.0.1:24567 weight 100 cookie a\n');
    expect(cfg).toContain('  server b 127.0.0.1:1 weight 0 cookie b disabled\n');
    expect(cfg).toContain('  option redispatch');
  });

  it("keeps the runtime API socket in the proxy's folder unless the path is too long for HAProxy, then a stable short one", () => {
    expect(runtimeApiSocket('/w/.nx-deploy/proxy/staging/api-server')).toBe('/w/.nx-deploy/proxy/staging/api-server/api.sock');
    const deep = `/home/runner/_work/${'a'.repeat(40)}/${'a'.repeat(40)}/.nx-deploy/proxy/staging/api-server`;
    expect(runtimeApiSocket(deep)).toMatch(/^\/tmp\/nx-deploy-proxy-[0-9a-f]{16}\.sock$/);
    expect(runtimeApiSocket(deep)).toBe(runtimeApiSocket(deep));
    expect(runtimeApiSocket(`${deep}x`)).not.toBe(runtimeApiSocket(deep));
    // HAProxy accepts the socket of a deep folder.
    const dir = mkdtempSync(join(tmpdir(), 'haproxy-deep-'));
    try {
      const file = join(dir, 'haproxy.cfg');
      writeFileSync(file, haproxyConfig({ ...layout, socket: runtimeApiSocket(join(dir, 'x'.repeat(100))) }));
      const check = haproxyCheck('/usr/sbin/haproxy', file);
      expect(() => execFileSync(check.argv[0]!, check.argv.slice(1), { stdio: 'pipe' })).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is a configuration HAProxy itself accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'haproxy-cfg-'));
    try {
      const file = join(dir, 'haproxy.cfg');
      writeFileSync(file, haproxyConfig({ ...layout, socket: join(dir, 'api.sock') }));
      const check = haproxyCheck('/usr/sbin/haproxy', file);
      expect(() => execFileSync(check.argv[0]!, check.argv.slice(1), { stdio: 'pipe' })).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('routes through the runtime API: address, weight, ready; or maintenance', () => {
    expect(routeCommands('b', { port: 25000, weight: 10 })).toEqual([
      'set server versions/b addr 127.0.0.1 port 25000',
      'set weight versions/b 10',
      'set server versions/b state ready',
    ]);
    expect(routeCommands('a', { port: 24567, weight: 0 })).toEqual(['set server versions/a state maint']);
    expect(routeCommands('a', undefined)).toEqual(['set server versions/a state maint']);
    expect(haproxyStart('haproxy', '/p/haproxy.cfg', '/p/haproxy.pid').argv).toEqual([
      'haproxy',
      '-D',
      '-f',
      '/p/haproxy.cfg',
      '-p',
      '/p/haproxy.pid',
    ]);
    expect(haproxyCheck('haproxy', '/p/haproxy.cfg').argv).toEqual(['haproxy', '-c', '-q', '-f', '/p/haproxy.cfg']);
  });

  it('reads back what serves: a running slot keeps its weight, one in maintenance has none', () => {
    const state = [
      '1',
      '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port',
      '3 versions 1 a 127.0.0.1 2 4 90 0 1 1 0 0 8 0 0 0 - 24567 - 0 0 - - 0',
      '3 versions 2 b 127.0.0.1 0 5 100 0 2 1 0 0 8 0 0 0 - 25000 - 0 0 - - 0',
      '',
    ].join('\n');
    expect(parseServersState(state)).toEqual({ a: { port: 24567, weight: 90 }, b: { port: 25000, weight: 0 } });
    expect(parseServersState('')).toEqual({});
  });
});

describe('private ports on a server', () => {
  const proc = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:4E20 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
    '   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1',
    '   2: 0100007F:4E21 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 3 1',
  ].join('\n');

  it('knows what listens from /proc/net/tcp (not what is merely connected)', () => {
    expect(listeningPorts(proc)).toEqual(new Set([20000, 22]));
  });

  it('picks the first free port from a place, wrapping, never one taken', () => {
    expect(pickFreePort(new Set([20000]), 0)).toBe(20001);
    expect(pickFreePort(new Set([20005, 20006]), 5)).toBe(20007);
    expect(pickFreePort(new Set(), 12_767)).toBe(32_767);
    expect(pickFreePort(new Set([32_767]), 12_767)).toBe(20_000);
  });
});

describe('canary strategy and pins', () => {
  it('steps must send more traffic each time', () => {
    expect(
      strategySchema.safeParse({
        canary: {
          steps: [
            { weight: 10, pause: '1m' },
            { weight: 50, pause: '1m' },
          ],
        },
      }).success,
    ).toBe(true);
    expect(
      strategySchema.safeParse({
        canary: {
          steps: [
            { weight: 50, pause: '1m' },
            { weight: 10, pause: '1m' },
          ],
        },
      }).success,
    ).toBe(false);
    expect(strategySchema.safeParse({ canary: { steps: [{ weight: 100, pause: '1m' }] } }).success).toBe(false);
    const file = deployFileSchema.parse({
      environments: {
        staging: {
          runtime: 'container',
          proxy: { mode: 'required' },
          services: { api: { url: 'http://a:1', strategy: { canary: { steps: [{ weight: 10, pause: '6m' }] } } } },
        },
      },
    });
    expect(file.environments.staging!.proxy).toEqual({ mode: 'required', haproxy: 'haproxy', keepPreviousWarm: 'window' });
  });

  it('a pin says who, when, what serves, and how to let go', () => {
    expect(describePin('api', 'staging', { actor: 'ana', at: '2026-12-07T10:00:00Z', rollbackId: 'r1', serving: '0.1.0 (abc)' })).toBe(
      'api is pinned in staging: ana rolled it back at 2026-12-07T10:00:00Z (r1), and 0.1.0 (abc) serves; its deploys there are skipped until `nx-deploy unpin api --env staging`, or a deploy with --force',
    );
  });
});

describe("an Nx run's summary", () => {
  const record = {
    id: 'd1',
    project: 'api-server',
    env: 'staging',
    kind: 'deploy',
    version: '0.2.0',
    gitSha: 'abcdef1234567890',
    status: 'succeeded' as const,
    actor: 'ci',
    startedAt: '2026-12-07T10:00:00Z',
    url: 'https://api.example.com',
    steps: [
      { name: 'rollout', status: 'succeeded' as const, durationMs: 2100, url: 'https://api.example.com' },
      { name: 'cutover', status: 'succeeded' as const, durationMs: 40, detail: 'switched: every request to the new version' },
    ],
  };

  it('each project and step, then what serves', () => {
    const text = renderRunSummary([record]);
    expect(text).toMatch(/api-server +staging +cutover +succeeded +0\.0 s +switched: every request to the new version/);
    expect(text).toContain('api-server deploy to staging (abcdef12): succeeded; 0.2.0 serves at https://api.example.com');
    expect(renderRunSummaryMarkdown([record])).toContain(
      '| api-server | staging | succeeded | 0.2.0 | rollout | succeeded | 2.1 s | https://api.example.com |',
    );
  });
});
