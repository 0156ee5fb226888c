import { z } from 'zod';
import { DURATION } from '../core/duration.ts';

/** The duration type of deploy.json, on the one grammar of core/duration.ts; `example` names typical values in the error. */
export function duration(example = "'30s', '2m' or '500ms'") {
  return z.string().regex(DURATION, { error: `expected a duration such as ${example}` });
}
