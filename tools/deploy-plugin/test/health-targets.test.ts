import { describe, expect, it } from 'vitest';
import { environmentSchema } from '../src/config/environments.ts';
import { healthTargets } from '../src/cli/health.ts';

const env = (raw: unknown) => environmentSchema.parse(raw);

describe('nx-deploy health: what it checks', () => {
  it("every service's health path (GET / with 2xx or 3xx when none is declared), then each frontend's page", () => {
    const targets = healthTargets(
      'development',
      env({
        runtime: 'process',
        services: { 'api-server': { url: 'http://127.0.0.1:3000/', healthPath: '/health' }, docs: { url: 'http://127.0.0.1:3001' } },
      }),
      ['frontend'],
    );
    expect(targets.map((t) => [t.project, t.url, t.expects])).toEqual([
      ['api-server', 'http://127.0.0.1:3000/health', '200'],
      ['docs', 'http://127.0.0.1:3001/', '2xx or 3xx'],
      ['frontend', 'http://127.0.0.1:4200', '200 text/html'], // the development default site
    ]);
    const [api, docs, web] = targets;
    expect(api!.failure(200, 'application/json')).toBeUndefined();
    expect(api!.failure(503, 'application/json')).toBe('answered 503, expected 200');
    expect(docs!.failure(302, '')).toBeUndefined();
    expect(web!.failure(200, 'text/html; charset=utf-8')).toBeUndefined();
    expect(web!.failure(200, 'application/json')).toBe('answered application/json, expected text/html');
    expect(web!.failure(404, 'text/html')).toBe('answered 404, expected 200');
  });

  it('a service on servers is checked on each of them', () => {
    const targets = healthTargets(
      'staging',
      env({
        runtime: 'container',
        ssh: { privateKeyVariable: 'K', knownHostsVariable: 'H' },
        services: {
          api: { url: 'https://api.example.com', serverUrl: 'http://{host}:3000', servers: ['deploy@10.0.0.5', '10.0.0.6'], healthPath: '/health' },
        },
      }),
      [],
    );
    expect(targets.map((t) => t.url)).toEqual(['http://10.0.0.5:3000/health', 'http://10.0.0.6:3000/health']);
  });

  it('refuses a frontend without a site where there is no default, as a deploy would', () => {
    expect(() => healthTargets('staging', env({ runtime: 'container' }), ['frontend'])).toThrow(/frontend: no CDN site for staging/);
  });
});
