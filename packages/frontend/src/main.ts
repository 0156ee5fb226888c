import { PodClient, type Agent, type Health } from '@pod-protocol/sdk';
import { loadConfig, type AppConfig } from './config.js';
import { describeError, renderConsoleUpdated, renderError, renderHealth, renderLoading, renderTokenPrompt, type View } from './render.js';
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

type AgentsPanelModule = typeof import('./agents-panel.js');
let agentsPanelModule: Promise<AgentsPanelModule> | undefined;

/**
 * The agents table is a separate chunk, fetched the first time agents are shown. A page older
 * than the current deployment may find its chunk gone: the caller says so, and a later attempt
 * fetches again rather than reusing the failure.
 */
function loadAgentsPanel(): Promise<AgentsPanelModule> {
  agentsPanelModule ??= import('./agents-panel.js').catch((error: unknown) => {
    agentsPanelModule = undefined;
    throw error;
  });
  return agentsPanelModule;
}

// Only the latest refresh may write the panel: an earlier one can finish later (a slow chunk or API).
let agentsRefresh = 0;

async function refreshAgents(config: AppConfig): Promise<void> {
  const refresh = ++agentsRefresh;
  const token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  if (token === '') {
    agentsPanel.innerHTML = renderTokenPrompt();
    return;
  }
  agentsPanel.innerHTML = renderLoading();
  // The chunk and the agents are fetched at the same time.
  const panel = loadAgentsPanel();
  const agents = new PodClient({ baseUrl: config.apiBaseUrl, token }).listAgents().then(
    (data): View<Agent[]> => ({ kind: 'ready', data }),
    (error: unknown): View<Agent[]> => ({ kind: 'error', message: describeError(error, origin) }),
  );
  let renderAgents: AgentsPanelModule['renderAgents'];
  try {
    ({ renderAgents } = await panel);
  } catch (error) {
    console.error('could not load the agents panel', error);
    if (refresh === agentsRefresh) agentsPanel.innerHTML = renderConsoleUpdated();
    return;
  }
  const view = await agents;
  if (refresh === agentsRefresh) agentsPanel.innerHTML = renderAgents(view);
}

async function start(): Promise<void> {
  let config: AppConfig;
  try {
    config = await loadConfig(window.fetch.bind(window), new URL('config.json', document.baseURI).href);
  } catch (error) {
    const message = describeError(error, origin);
    showHealth({ kind: 'error', message });
    agentsPanel.innerHTML = renderError(message);
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
