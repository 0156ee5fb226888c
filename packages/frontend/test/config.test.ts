import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/config.js';

const CONFIG_URL = 'https://console.example.test/pod/config.json';

/** A fetch that answers every request with `body` and records what was asked. */
function fakeFetch(body: string, status = 200) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetchFn = async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(body, { status });
  };
  return { fetchFn, calls };
}

describe('loadConfig', () => {
  it('loads config.json without the HTTP cache', async () => {
    const { fetchFn, calls } = fakeFetch('{"apiBaseUrl": "https://api.example.test/", "environment": "staging"}');
    await expect(loadConfig(fetchFn, CONFIG_URL)).resolves.toEqual({
      apiBaseUrl: 'https://api.example.test',
      environment: 'staging',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe(CONFIG_URL);
    expect(calls[0]?.init?.cache).toBe('no-store');
  });

  it('says the deployment must write config.json when it is missing', async () => {
    const { fetchFn } = fakeFetch('<h1>Not Found</h1>', 404);
    await expect(loadConfig(fetchFn, CONFIG_URL)).rejects.toThrow(
      `could not load ${CONFIG_URL}: HTTP 404 (the deployment must write config.json next to index.html)`,
    );
  });

  it('reports unparsable JSON and network failures as ConfigError', async () => {
    await expect(loadConfig(fakeFetch('{apiBaseUrl:').fetchFn, CONFIG_URL)).rejects.toThrow(new ConfigError(`${CONFIG_URL} is not valid JSON`));
    const offline = async () => {
      throw new TypeError('Failed to fetch');
    };
    const error = await loadConfig(offline, CONFIG_URL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`could not load ${CONFIG_URL}: Failed to fetch`);
  });
});

describe('parseConfig', () => {
  it('resolves a relative apiBaseUrl against where config.json came from', () => {
    expect(parseConfig({ apiBaseUrl: '/api/', environment: 'prod' }, CONFIG_URL)).toEqual({
      apiBaseUrl: 'https://console.example.test/api',
      environment: 'prod',
    });
  });

  it('accepts the development defaults shipped in public/config.json', async () => {
    const { default: shipped } = await import('../public/config.json', { with: { type: 'json' } });
    expect(parseConfig(shipped, 'http://localhost:5173/config.json')).toEqual({
      apiBaseUrl: 'http://127.0.0.1:3000',
      environment: 'development',
    });
  });

  it.each([
    [[], /must hold a JSON object/],
    [null, /must hold a JSON object/],
    [{ environment: 'prod' }, /"apiBaseUrl" must be a non-empty string/],
    [{ apiBaseUrl: ' ', environment: 'prod' }, /"apiBaseUrl" must be a non-empty string/],
    [{ apiBaseUrl: 'https://api.example.test' }, /"environment" must be a non-empty string/],
    [{ apiBaseUrl: 'ftp://api.example.test', environment: 'prod' }, /must be an http or https URL/],
    [{ apiBaseUrl: 'http://[::1', environment: 'prod' }, /is not a URL/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseConfig(raw, CONFIG_URL)).toThrow(message);
  });
});
