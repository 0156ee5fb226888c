// Library surface, for embedding the server or testing it in-process.
export { PodApiClient, ApiError, type Agent, type NewAgent, type ApiHealth } from './api-client.js';
export { readConfig, ConfigError, type Config } from './config.js';
export { startHttpServer, type HttpServerOptions, type RunningServer } from './http-server.js';
export { createMcpServer } from './tools.js';
export { SERVER_NAME, VERSION } from './version.js';
