import { PodClient, type Health } from '@pod-protocol/sdk';
import { loadConfig, type AppConfig } from './config.js';
import { describeError, renderAgents, renderHealth, type AgentsView, type View } from './render.js';
import './style.css';

// The token lives in sessionStorage: it survives a reload but not closing the tab.
const TOKEN_KEY = 'pod-protocol.apiToken';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html lacks the #${id} element`);
  return found as T;
}

const healthPanel = element('health');
const agentsPanel = element('agents');
const environmentBadge = element('environment');
const tokenForm = element<HTMLFormElement>('token-form');
const tokenInput = element<HTMLInputElement>('token');
const origin = window.location.origin;

function showHealth(view: View<Health>): void {
  healthPanel.innerHTML = renderHealth(view);
}

function showAgents(view: AgentsView): void {
  agentsPanel.innerHTML = renderAgents(view);
}

async function refreshAgents(config: AppConfig): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  if (token === '') return showAgents({ kind: 'needs-token' });
  showAgents({ kind: 'loading' });
  try {
    const agents = await new PodClient({ baseUrl: config.apiBaseUrl, token }).listAgents();
    showAgents({ kind: 'ready', data: agents });
  } catch (error) {
    showAgents({ kind: 'error', message: describeError(error, origin) });
  }
}

async function start(): Promise<void> {
  let config: AppConfig;
  try {
    config = await loadConfig(window.fetch.bind(window), new URL('config.json', document.baseURI).href);
  } catch (error) {
    const message = describeError(error, origin);
    showHealth({ kind: 'error', message });
    showAgents({ kind: 'error', message });
    tokenForm.hidden = true;
    return;
  }

  environmentBadge.textContent = config.environment;
  environmentBadge.hidden = false;
  document.title = `POD Protocol console (${config.environment})`;

  tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
  tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
    void refreshAgents(config);
  });

  const client = new PodClient({ baseUrl: config.apiBaseUrl });
  const health = client.health().then(
    (data) => showHealth({ kind: 'ready', data }),
    (error: unknown) => showHealth({ kind: 'error', message: describeError(error, origin) }),
  );
  await Promise.all([health, refreshAgents(config)]);
}

void start();
