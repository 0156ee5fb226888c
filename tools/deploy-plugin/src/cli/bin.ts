#!/usr/bin/env node
// The nx-deploy command: checks the Node version before loading anything that needs a newer one.
import { nodeVersionProblem } from '../core/node-version.ts';

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  console.error(`nx-deploy: ${problem}`);
  process.exit(1);
}
await import('./main.ts');
