export { PodClient } from './client.js';
export { PodApiError, type PodApiErrorDetails } from './errors.js';
export type { Agent, CreateAgentInput, FetchLike, Health, PodClientOptions, Readiness } from './types.js';
