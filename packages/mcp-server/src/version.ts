import { readFileSync } from 'node:fs';

// package.json sits one level above both src/ and dist/, and ships in the Docker image.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const SERVER_NAME = 'pod-protocol-mcp-server';
export const VERSION: string = pkg.version;
/** The commit this server was built from, set by the deploy (GIT_SHA); health reports it so a roll-out can tell versions apart. */
export const GIT_SHA: string = process.env.GIT_SHA?.trim() || 'unknown';
