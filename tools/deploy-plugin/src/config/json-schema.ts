import { z } from 'zod';
import { STEPS } from '../steps/registry.ts';
import { deployFileSchema } from './environments.ts';

const COMMON = {
  environment: { type: 'string', description: 'Environment from deploy.json; set by the configuration (-c staging)' },
  approve: { type: 'boolean', description: 'Confirm on the terminal a deploy to an environment that requires approval' },
};

const DEPLOY_EXECUTOR = {
  description: "Run the project's deploy steps in order, under the environment's lock, recorded in the ledger",
  properties: {
    steps: { type: 'array', items: { type: 'string' }, description: 'Targets of this project to run in order (inferred by role)' },
  },
};

function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function executorSchema(title: string, description: string, properties: Record<string, unknown>, required: string[] = []) {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    version: 2,
    title,
    description,
    type: 'object',
    properties: { ...COMMON, ...properties },
    required,
  };
}

/** Every generated file of the plugin, by path relative to the plugin folder. */
export function generatedSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = {
    'deploy.schema.json': toJson({ ...z.toJSONSchema(deployFileSchema, { io: 'input' }), title: 'deploy.json of @pod-protocol/nx-deploy' }),
  };
  const executors: Record<string, unknown> = {
    deploy: { implementation: './src/executors/deploy/executor.ts', schema: './src/executors/deploy/schema.json', description: DEPLOY_EXECUTOR.description },
  };
  files['src/executors/deploy/schema.json'] = toJson(executorSchema('deploy', DEPLOY_EXECUTOR.description, DEPLOY_EXECUTOR.properties));
  for (const [name, step] of Object.entries(STEPS)) {
    const json = z.toJSONSchema(step.options, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] };
    const { environment: _e, ...own } = json.properties ?? {};
    files[`src/executors/${name}/schema.json`] = toJson(executorSchema(name, step.description, own, json.required?.filter((r) => r !== 'environment')));
    executors[name] = { implementation: `./src/executors/${name}/executor.ts`, schema: `./src/executors/${name}/schema.json`, description: step.description };
  }
  files['executors.json'] = toJson({ executors });
  return files;
}
