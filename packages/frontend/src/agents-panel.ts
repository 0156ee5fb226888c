// The agents table: a chunk of its own (main.ts imports it dynamically), fetched only when agents
// are about to be shown, i.e. once there is an API token.
import type { Agent } from '@pod-protocol/sdk';
import { escapeHtml, renderError, renderLoading, renderTokenPrompt, type View } from './render.js';

export type AgentsView = View<Agent[]> | { kind: 'needs-token' };

export function renderAgents(view: AgentsView): string {
  switch (view.kind) {
    case 'needs-token':
      return renderTokenPrompt();
    case 'loading':
      return renderLoading();
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
