import { PodApiError, type Agent, type Health } from '@pod-protocol/sdk';

/** What a panel shows: the data, a wait, or why there is none. */
export type View<T> = { kind: 'loading' } | { kind: 'ready'; data: T } | { kind: 'error'; message: string };

export type AgentsView = View<Agent[]> | { kind: 'needs-token' };

/** Everything the API or config sends goes through here before it reaches innerHTML. */
export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

export function renderHealth(view: View<Health>): string {
  switch (view.kind) {
    case 'loading':
      return '<p class="muted">Loading…</p>';
    case 'error':
      return renderError(view.message);
    case 'ready': {
      const { status, version, gitSha } = view.data;
      const healthy = status === 'ok';
      return (
        '<dl class="facts">' +
        `<dt>Status</dt><dd class="${healthy ? 'good' : 'bad'}">${escapeHtml(status)}</dd>` +
        `<dt>Version</dt><dd>${escapeHtml(version)}</dd>` +
        `<dt>Git SHA</dt><dd><code>${escapeHtml(gitSha)}</code></dd>` +
        '</dl>'
      );
    }
  }
}

export function renderAgents(view: AgentsView): string {
  switch (view.kind) {
    case 'needs-token':
      return '<p class="muted">Enter an API token with the agents:read scope to list agents.</p>';
    case 'loading':
      return '<p class="muted">Loading…</p>';
    case 'error':
      return renderError(view.message);
    case 'ready':
      if (view.data.length === 0) return '<p class="muted">No agents yet.</p>';
      return (
        '<table><thead><tr><th>Name</th><th>ID</th><th>Description</th><th>Created</th></tr></thead><tbody>' +
        view.data
          .map(
            (agent) =>
              `<tr><td>${escapeHtml(agent.name)}</td><td><code>${escapeHtml(agent.id)}</code></td>` +
              `<td>${agent.description === null ? '<span class="muted">–</span>' : escapeHtml(agent.description)}</td>` +
              `<td><time datetime="${escapeHtml(agent.createdAt)}">${escapeHtml(agent.createdAt)}</time></td></tr>`,
          )
          .join('') +
        '</tbody></table>'
      );
  }
}

/**
 * A sentence for people. Browsers hide why a cross-origin request failed, so a network error
 * may also mean the API does not allow this page's origin.
 */
export function describeError(error: unknown, pageOrigin: string): string {
  if (error instanceof PodApiError && error.code === 'network_error') {
    return `${error.message}. If it is, check that it allows requests from ${pageOrigin} (CORS).`;
  }
  return error instanceof Error ? error.message : String(error);
}

function renderError(message: string): string {
  return `<p class="error" role="alert">${escapeHtml(message)}</p>`;
}
