import type { ResultPromise } from 'execa';

/** Resolves once a running command (started with `all: true`) has printed `text`; rejects if it ends first. */
export function untilOutput(run: ResultPromise, text: string | RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = typeof text === 'string' ? seen.includes(text) : text.test(seen);
      if (match) {
        run.all?.off('data', onData);
        resolve(seen);
      }
    };
    run.all?.on('data', onData);
    run.then((r) => reject(new Error(`the command ended before it printed ${String(text)}:\n${r.all}`)), reject);
  });
}
