import { PodApiError, type Health } from '@pod-protocol/sdk';

/** What a panel shows: the data, a wait, or why there is none. */
export type View<T> = { kind: 'loading' } | { kind: 'ready'; data: T } | { kind: 'error'; message: string };

/** Everything the API or config sends goes through here before it reaches innerHTML. */
export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

export function renderHealth(view: View<Health>): string {
  switch (view.kind) {
    case 'loading':
      return renderLoading();
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

/**
 * The agents panel before there is a token. Rendered by the main chunk: the agents table's own
 * chunk (agents-panel.ts) is only fetched once there is a token to list agents with.
 */
export function renderTokenPrompt(): string {
  return '<p class="muted">Enter an API token with the agents:read scope to list agents.</p>';
}

/**
 * The agents panel when its chunk cannot be fetched: this page is older than the deployment, whose
 * release replaced the chunk. Reloading is the reader's choice (a form may be half filled in).
 */
export function renderConsoleUpdated(): string {
  return renderError(
    'The console has been updated since this page was loaded, so the agents view could not be loaded. Reload the page to use the new version.',
  );
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

export function renderLoading(): string {
  return '<p class="muted">Loading…</p>';
}

export function renderError(message: string): string {
  return `<p class="error" role="alert">${escapeHtml(message)}</p>`;
}
