import { describe, expect, it } from 'vitest';

import { ConfigError, readConfig } from '../src/config.js';

describe('readConfig', () => {
  it('defaults to loopback:3100, the local API and loopback-only Host headers', () => {
    expect(readConfig({})).toEqual({
      host: '127.0.0.1',
      port: 3100,
      apiUrl: 'http://127.0.0.1:3000',
      apiToken: undefined,
      allowedHosts: ['127.0.0.1', 'localhost', '[::1]'],
    });
  });

  it('reads HOST, PORT, POD_API_URL (trailing / dropped), POD_API_TOKEN', () => {
    const config = readConfig({ HOST: '0.0.0.0', PORT: '8080', POD_API_URL: 'http://api.pod:3000/', POD_API_TOKEN: ' t ' });
    expect(config).toEqual({ host: '0.0.0.0', port: 8080, apiUrl: 'http://api.pod:3000', apiToken: 't', allowedHosts: undefined });
  });

  it('lets MCP_ALLOWED_HOSTS restrict Host headers on any interface', () => {
    expect(readConfig({ HOST: '0.0.0.0', MCP_ALLOWED_HOSTS: 'mcp.pod.example, localhost' }).allowedHosts).toEqual(['mcp.pod.example', 'localhost']);
  });

  it('explains bad values', () => {
    expect(() => readConfig({ PORT: '70000' })).toThrow(ConfigError);
    expect(() => readConfig({ PORT: '70000' })).toThrow('PORT must be an integer from 0 to 65535, got "70000"');
    expect(() => readConfig({ POD_API_URL: 'api:3000' })).toThrow('POD_API_URL must use http or https, got "api:3000"');
    expect(() => readConfig({ POD_API_URL: 'not a url' })).toThrow(/POD_API_URL must be an absolute http\(s\) URL/);
  });
});
