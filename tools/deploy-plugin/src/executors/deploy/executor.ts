import { guardedExecutor } from '../../core/node-version.ts';

const load = () => import('../../deploy/deploy-executor.ts').then((m) => m.deployExecutor);

export default guardedExecutor(load);
