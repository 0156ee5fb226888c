import { stepExecutor } from '../../deploy/step-executor.ts';
import { STEPS } from '../../steps/registry.ts';

export default stepExecutor(STEPS['build-image']!);
