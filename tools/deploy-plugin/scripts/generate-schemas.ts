// Writes every JSON Schema from its zod source, so schemas are never maintained twice:
// deploy.schema.json (editor completion for deploy.json), each executor's schema.json and
// executors.json. `--check` fails instead of writing when a file is out of date (unit tests use it).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedSchemaFiles } from './schema-files.ts';

const pluginRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const [rel, content] of Object.entries(await generatedSchemaFiles())) {
  const path = join(pluginRoot, rel);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (current === content) continue;
  if (check) {
    console.error(`out of date: ${rel} (run: npm run generate-schemas -w @pod-protocol/nx-deploy)`);
    stale++;
  } else {
    writeFileSync(path, content);
    console.log(`wrote ${rel}`);
  }
}
process.exit(stale ? 1 : 0);
