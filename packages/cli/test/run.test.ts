import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../src/run.js';
import { startFakePodApi, type FakePodApi } from '../../../test/support/fake-pod-api.js';

let api: FakePodApi;

beforeEach(async () => {
  api = await startFakePodApi();
});

afterEach(async () => {
  await api.stop();
});

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in process against the fake API (unless the env names another URL). */
async function pod(argv: string[], env: Record<string, string | undefined> = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await run(
    argv,
    { POD_API_URL: api.url, ...env },
    {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
    },
  );
  return { code, stdout, stderr };
}

/** Errors are one line on stderr, nothing on stdout. */
function expectOneLineError(outcome: Outcome, code: number, line: string | RegExp): void {
  expect(outcome.code).toBe(code);
  expect(outcome.stdout).toBe('');
  expect(outcome.stderr.endsWith('\n')).toBe(true);
  expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
  if (typeof line === 'string') expect(outcome.stderr).toBe(`${line}\n`);
  else expect(outcome.stderr).toMatch(line);
}

async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('pod health / ready', () => {
  it('prints health as text and as JSON', async () => {
    const text = await pod(['health']);
    expect(text).toEqual({ code: 0, stdout: 'status   ok\nversion  0.1.0\ngitSha   abc1234\n', stderr: '' });

    const json = await pod(['health', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ status: 'ok', version: '0.1.0', gitSha: 'abc1234' });
  });

  it('prefers --api-url over POD_API_URL', async () => {
    const outcome = await pod(['--api-url', api.url, 'health'], { POD_API_URL: await deadUrl() });
    expect(outcome.code).toBe(0);
    expect(api.requests.map((r) => r.url)).toEqual(['/health']);
  });

  it('exits 1 when the API is not ready', async () => {
    await expect(pod(['ready'])).resolves.toEqual({ code: 0, stdout: 'ready (database up)\n', stderr: '' });

    api.setReady(false);
    expectOneLineError(await pod(['ready']), 1, `pod: the API at ${api.url} is not ready: not_ready (database down)`);

    const json = await pod(['ready', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ ready: false, status: 'not_ready', database: 'down' });
  });

  it('reports an unreachable API in one line', async () => {
    const url = await deadUrl();
    expectOneLineError(
      await pod(['health'], { POD_API_URL: url }),
      1,
      `pod: GET /health failed: cannot reach ${url} (ECONNREFUSED) (is the API server running at that address?)`,
    );
  });
});

describe('pod agents', () => {
  it('creates, lists and gets agents with the token from POD_API_TOKEN', async () => {
    const env = { POD_API_TOKEN: 'writer' };
    const created = await pod(['agents', 'create', '--name', 'scout', '--description', 'finds things'], env);
    expect(created).toEqual({
      code: 0,
      stdout:
        'Created agent agt_1\n' +
        'id           agt_1\n' +
        'name         scout\n' +
        'description  finds things\n' +
        'createdAt    2025-01-02T03:04:05.000Z\n',
      stderr: '',
    });
    expect(api.requests[0]?.headers.authorization).toBe('Bearer writer');
    expect(JSON.parse(api.requests[0]?.body ?? '')).toEqual({ name: 'scout', description: 'finds things' });

    const bare = await pod(['agents', 'create', '--json', '--name=quiet'], env);
    expect(JSON.parse(bare.stdout)).toMatchObject({ id: 'agt_2', name: 'quiet', description: null });

    const list = await pod(['agents', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(
      'ID     NAME   CREATED                   DESCRIPTION\n' +
        'agt_1  scout  2025-01-02T03:04:05.000Z  finds things\n' +
        'agt_2  quiet  2025-01-02T03:04:05.000Z  -\n',
    );

    const listJson = await pod(['agents', 'list', '--json'], env);
    expect(JSON.parse(listJson.stdout).agents.map((a: { id: string }) => a.id)).toEqual(['agt_1', 'agt_2']);

    const got = await pod(['agents', 'get', 'agt_2'], env);
    expect(got.stdout).toBe('id           agt_2\nname         quiet\ndescription  -\ncreatedAt    2025-01-02T03:04:05.000Z\n');
  });

  it('says how to fix a missing or weak token', async () => {
    expectOneLineError(
      await pod(['agents', 'list']),
      1,
      'pod: GET /v1/agents failed: 401 unauthorized (no API token was given): set the POD_API_TOKEN environment variable',
    );
    expectOneLineError(
      await pod(['agents', 'list'], { POD_API_TOKEN: 'stale' }),
      1,
      'pod: GET /v1/agents failed: 401 unauthorized (check your API token)',
    );
    expectOneLineError(
      await pod(['agents', 'create', '--name', 'x'], { POD_API_TOKEN: 'reader' }),
      1,
      'pod: POST /v1/agents failed: 403 forbidden (the API token lacks the agents:write scope)',
    );
  });

  it('exits 1 for an unknown agent', async () => {
    expectOneLineError(
      await pod(['agents', 'get', 'agt_404'], { POD_API_TOKEN: 'reader' }),
      1,
      'pod: GET /v1/agents/agt_404 failed: 404 not_found (no agent with id "agt_404")',
    );
  });

  it('does not pass terminal control characters from the API through', async () => {
    api.seed({ id: 'agt_x', name: 'evil\u001b[2J\nname', description: null, createdAt: '2025-01-01T00:00:00.000Z' });
    const text = await pod(['agents', 'get', 'agt_x'], { POD_API_TOKEN: 'reader' });
    expect(text.stdout).toContain('name         evil?[2J?name\n');
    expect(text.stdout).not.toContain('\u001b');

    const json = await pod(['agents', 'get', 'agt_x', '--json'], { POD_API_TOKEN: 'reader' });
    expect(JSON.parse(json.stdout).name).toBe('evil\u001b[2J\nname');
    expect(json.stdout).not.toContain('\u001b');
  });
});

describe('usage', () => {
  it('prints help and version on stdout', async () => {
    const help = await pod(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: pod \[options\] <command>/);
    for (const word of ['agents create --name', 'agents get <id>', '--api-url', 'POD_API_URL', 'POD_API_TOKEN', '--json']) {
      expect(help.stdout).toContain(word);
    }
    expect((await pod(['agents', 'list', '-h'])).stdout).toBe(help.stdout);
    await expect(pod(['--version'])).resolves.toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
    expect(api.requests).toEqual([]);
  });

  it.each([
    [[], "pod: missing command (run 'pod --help' for usage)"],
    [['deploy'], "pod: unknown command 'deploy' (run 'pod --help' for usage)"],
    [['agents'], /^pod: missing subcommand: 'pod agents list'/],
    [['agents', 'delete'], "pod: unknown agents subcommand 'delete' (run 'pod --help' for usage)"],
    [['agents', 'create'], "pod: 'pod agents create' needs --name <name> (run 'pod --help' for usage)"],
    [['agents', 'create', '--name', ' '], "pod: --name must not be empty (run 'pod --help' for usage)"],
    [['agents', 'get'], "pod: 'pod agents get' needs an agent id (run 'pod --help' for usage)"],
    [['agents', 'get', 'a', 'b'], "pod: unexpected argument 'b' (run 'pod --help' for usage)"],
    [['health', 'now'], "pod: unexpected argument 'now' (run 'pod --help' for usage)"],
    [['health', '--name', 'x'], "pod: --name is only used by 'pod agents create' (run 'pod --help' for usage)"],
    [['health', '--verbose'], "pod: unknown option '--verbose' (run 'pod --help' for usage)"],
    [['health', '--api-url'], /^pod: option '--api-url <value>' argument missing/],
    [
      ['health', '--api-url', 'localhost:3000'],
      /^pod: --api-url 'localhost:3000' must be an http:\/\/ or https:\/\/ URL, e\.g\. http:\/\/127\.0\.0\.1:3000 /,
    ],
    [['health', '--api-url', 'not a url'], /^pod: --api-url 'not a url' is not a URL; expected e\.g\. http:\/\/127\.0\.0\.1:3000 /],
    [['health', '--api-url', 'http://h/?x=1'], /^pod: --api-url 'http:\/\/h\/\?x=1' must not have a query or fragment/],
    [['agents', 'list', '--token', 'secret'], /^pod: there is no --token option: put the token in the POD_API_TOKEN environment variable/],
    [['agents', 'list', '--token=secret'], /^pod: there is no --token option/],
  ] as [string[], string | RegExp][])('exits 2 for pod %j', async (argv, line) => {
    expectOneLineError(await pod(argv), 2, line);
    expect(api.requests).toEqual([]);
  });

  it('names POD_API_URL when that is what is wrong', async () => {
    expectOneLineError(
      await pod(['health'], { POD_API_URL: 'ftp://example.test' }),
      2,
      "pod: POD_API_URL 'ftp://example.test' must be an http:// or https:// URL, e.g. http://127.0.0.1:3000 (run 'pod --help' for usage)",
    );
  });

  it('defaults to http://127.0.0.1:3000 when nothing names the API', async () => {
    const urls: string[] = [];
    const code = await run(
      ['health'],
      {},
      {
        stdout: () => {},
        stderr: () => {},
        fetch: async (input) => {
          urls.push(input);
          return new Response('{"status":"ok","version":"1","gitSha":"x"}');
        },
      },
    );
    expect(code).toBe(0);
    expect(urls).toEqual(['http://127.0.0.1:3000/health']);
  });
});
