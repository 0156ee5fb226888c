import { readFileSync } from 'node:fs';

// package.json sits one level above both src/ and dist/, and ships in the Docker image.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const SERVER_NAME = 'pod-protocol-mcp-server';
export const VERSION: string = pkg.version;
