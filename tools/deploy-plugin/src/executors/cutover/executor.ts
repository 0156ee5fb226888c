import { guardedExecutor } from '../../core/node-version.ts';

const load = () => import('../../deploy/step-executor.ts').then((m) => m.stepExecutor('cutover'));

export default guardedExecutor(load);
