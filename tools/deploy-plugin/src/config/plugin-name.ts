/** The plugin's package name: the prefix of its executors (`@pod-protocol/nx-deploy:rollout`) and its entry in nx.json. */
export const PLUGIN = '@pod-protocol/nx-deploy';
