/**
 * The Node.js this plugin needs, checked before anything that needs it is loaded: on an older
 * Node its dependencies (execa) fail at import with a TypeError that names none of this. Kept free
 * of imports so it loads on any Node.
 */
export const MINIMUM_NODE_MAJOR = 22;

/** Pure: the one-line error for a Node version this plugin cannot run on, or undefined when it can. */
export function nodeVersionProblem(version: string): string | undefined {
  const major = Number(/^v?(\d+)/.exec(version)?.[1]);
  if (major >= MINIMUM_NODE_MAJOR) return undefined;
  return (
    `@pod-protocol/nx-deploy needs Node.js ${MINIMUM_NODE_MAJOR} or newer, and this is Node.js ${version.replace(/^v/, '')}: ` +
    `install Node ${MINIMUM_NODE_MAJOR} LTS (for example \`nvm install ${MINIMUM_NODE_MAJOR}\`, or the \`node\` package pinned in your devDependencies) and run it again.`
  );
}

type Executor = (options: never, context: never) => Promise<{ success: boolean }>;

/**
 * An Nx executor whose code is loaded only on a Node it runs on; on an older one it prints the
 * one-line error and fails the task.
 */
export function guardedExecutor<E extends Executor>(load: () => Promise<E>): E {
  return (async (options: never, context: never) => {
    const problem = nodeVersionProblem(process.versions.node);
    if (problem) {
      process.stderr.write(`${problem}\n`);
      return { success: false };
    }
    return (await load())(options, context);
  }) as E;
}
