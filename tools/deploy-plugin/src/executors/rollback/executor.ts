import { guardedExecutor } from '../../core/node-version.ts';

const load = () => import('../../deploy/rollback-executor.ts').then((m) => m.rollbackExecutor);

export default guardedExecutor(load);
