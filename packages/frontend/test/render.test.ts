import { PodApiError } from '@pod-protocol/sdk';
import { describe, expect, it } from 'vitest';
import { renderAgents } from '../src/agents-panel.js';
import { describeError, escapeHtml, renderConsoleUpdated, renderHealth, renderTokenPrompt } from '../src/render.js';

const agent = {
  id: 'agt_1',
  name: 'scout',
  description: 'finds things',
  createdAt: '2025-01-02T03:04:05.000Z',
};

describe('renderHealth', () => {
  it('shows status, version and git SHA', () => {
    const html = renderHealth({ kind: 'ready', data: { status: 'ok', version: '0.1.0', gitSha: 'abc1234' } });
    expect(html).toContain('<dt>Status</dt><dd class="good">ok</dd>');
    expect(html).toContain('<dt>Version</dt><dd>0.1.0</dd>');
    expect(html).toContain('<dt>Git SHA</dt><dd><code>abc1234</code></dd>');
  });

  it('marks a status other than ok', () => {
    const html = renderHealth({ kind: 'ready', data: { status: 'degraded', version: '1', gitSha: 'x' } });
    expect(html).toContain('<dd class="bad">degraded</dd>');
  });

  it('shows loading and errors', () => {
    expect(renderHealth({ kind: 'loading' })).toContain('Loading');
    expect(renderHealth({ kind: 'error', message: 'GET /health failed: 502 bad_gateway' })).toBe(
      '<p class="error" role="alert">GET /health failed: 502 bad_gateway</p>',
    );
  });
});

describe('renderAgents', () => {
  it('lists agents in a table, with a dash for a missing description', () => {
    const html = renderAgents({ kind: 'ready', data: [agent, { ...agent, id: 'agt_2', name: 'quiet', description: null }] });
    expect(html.match(/<tr>/g)).toHaveLength(3);
    expect(html).toContain('<td>scout</td><td><code>agt_1</code></td><td>finds things</td>');
    expect(html).toContain('<td>quiet</td><td><code>agt_2</code></td><td><span class="muted">–</span></td>');
    expect(html).toContain('<time datetime="2025-01-02T03:04:05.000Z">');
  });

  it('explains an empty list and a missing token', () => {
    expect(renderAgents({ kind: 'ready', data: [] })).toContain('No agents yet.');
    expect(renderAgents({ kind: 'needs-token' })).toContain('agents:read');
    // The main chunk shows the same prompt without fetching the agents chunk.
    expect(renderTokenPrompt()).toBe(renderAgents({ kind: 'needs-token' }));
  });

  it('shows loading and errors', () => {
    expect(renderAgents({ kind: 'loading' })).toContain('Loading');
    expect(renderAgents({ kind: 'error', message: 'GET /v1/agents failed: 401 <unauthorized>' })).toBe(
      '<p class="error" role="alert">GET /v1/agents failed: 401 &lt;unauthorized&gt;</p>',
    );
  });

  it('escapes everything the API sends', () => {
    const html = renderAgents({
      kind: 'ready',
      data: [{ id: '"><script>', name: '<img src=x onerror=alert(1)>', description: "it's & <b>", createdAt: '" onmouseover="x' }],
    });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('it&#39;s &amp; &lt;b&gt;');
    expect(html).toContain('datetime="&quot; onmouseover=&quot;x"');
  });
});

describe('renderConsoleUpdated', () => {
  it('asks for a reload when the agents chunk of this page is gone', () => {
    const html = renderConsoleUpdated();
    expect(html).toMatch(/^<p class="error" role="alert">/);
    expect(html).toContain('The console has been updated since this page was loaded');
    expect(html).toContain('Reload the page');
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters and leaves the rest', () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a> ✓`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt; ✓');
  });
});

describe('describeError', () => {
  it('suggests CORS when the API cannot be reached from the page', () => {
    const error = new PodApiError(0, 'network_error', 'GET /health failed: cannot reach https://api.example.test (Failed to fetch)', {
      method: 'GET',
      path: '/health',
    });
    expect(describeError(error, 'https://console.example.test')).toBe(
      'GET /health failed: cannot reach https://api.example.test (Failed to fetch). ' +
        'If it is, check that it allows requests from https://console.example.test (CORS).',
    );
  });

  it('passes other messages through', () => {
    const error = new PodApiError(401, 'unauthorized', 'GET /v1/agents failed: 401 unauthorized (check your API token)', {
      method: 'GET',
      path: '/v1/agents',
    });
    expect(describeError(error, 'https://console.example.test')).toBe(error.message);
    expect(describeError('boom', 'x')).toBe('boom');
  });
});
