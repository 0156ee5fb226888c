// The built entry points as real processes: dist/stdio.js with the SDK's stdio client, and
// dist/main.js stopping cleanly on SIGTERM. They need `npm run build` (the test command runs it first).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFakePodApi, type FakePodApi } from '../../../test/support/fake-pod-api.js';

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));

let api: FakePodApi;
beforeAll(async () => {
  for (const file of ['main.js', 'stdio.js']) {
    if (!existsSync(dist(file))) throw new Error(`${dist(file)} is missing: run \`npx nx run mcp-server:build\` first`);
  }
  api = await startFakePodApi();
  api.seed({ id: 'agt_1', name: 'scout', description: 'finds things', createdAt: '2026-01-02T03:04:05.000Z' });
});
afterAll(async () => {
  await api?.stop();
});

describe('dist/stdio.js', () => {
  it('serves the tools over stdio', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [dist('stdio.js')],
      env: { POD_API_URL: api.url, POD_API_TOKEN: 'writer', PATH: process.env.PATH ?? '' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'vitest-stdio', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['api_health', 'create_agent', 'get_agent', 'list_agents']);
      const result = await client.callTool({ name: 'get_agent', arguments: { id: 'agt_1' } });
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.content)).toContain('scout');
    } finally {
      await client.close();
    }
  });
});

describe('dist/main.js', () => {
  it('listens on PORT, answers /health and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [dist('main.js')], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', POD_API_URL: api.url, POD_API_TOKEN: 'writer', GIT_SHA: '0123abc' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "listening" line within 10 s; stderr:\n${stderr}`)), 10_000);
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /listening on (http:\/\/\S+) /.exec(stderr);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
      });
      const health = await fetch(`${url}/health`);
      expect(await health.json()).toEqual({ status: 'ok', version: '0.1.0', gitSha: '0123abc' });

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('SIGTERM received');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 1 with a readable message on a bad PORT', async () => {
    const child = spawn(process.execPath, [dist('main.js')], { env: { ...process.env, PORT: 'eighty' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('configuration error: PORT must be an integer from 0 to 65535, got "eighty"');
  });
});
