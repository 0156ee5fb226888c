import { buildImageStep } from './build-image.ts';
import { migrateStep } from './migrate.ts';
import { publishCrateStep, publishNpmStep } from './publish.ts';
import { rolloutStep } from './rollout.ts';
import { smokeStep } from './smoke.ts';
import type { StepDefinition } from './step.ts';

/** Every step an executor of this plugin runs, by executor name. */
export const STEPS: Record<string, StepDefinition> = {
  'build-image': buildImageStep as unknown as StepDefinition,
  migrate: migrateStep as unknown as StepDefinition,
  rollout: rolloutStep as unknown as StepDefinition,
  smoke: smokeStep as unknown as StepDefinition,
  'publish-npm': publishNpmStep as unknown as StepDefinition,
  'publish-crate': publishCrateStep as unknown as StepDefinition,
};
