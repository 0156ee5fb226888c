import { stepExecutor } from '../../deploy/step-executor.ts';

export default stepExecutor('build-image');
