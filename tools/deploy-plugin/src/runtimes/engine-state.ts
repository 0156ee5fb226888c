import { inspectContainers, type RunEngine } from '../commands/image.ts';
import type { Host } from '../core/host.ts';

export interface ContainerStatus {
  status: string;
  /** Host PID of the container's first process (0 when it does not run). */
  pid: number;
}

/** The state of containers by name or ID; a container the engine does not know is left out. */
export async function inspect(engine: RunEngine, names: string[], host: Host): Promise<ContainerStatus[]> {
  if (!names.length) return [];
  const res = await host.run(inspectContainers(engine, names), { quiet: true, allowFailure: true });
  return res.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [status = '', pid = '0'] = line.trim().split(' ');
      return { status, pid: Number(pid) || 0 };
    });
}

/** Why containers that should run do not ("the container is exited"), or undefined while they run. */
export async function notRunning(engine: RunEngine, names: string[], host: Host): Promise<string | undefined> {
  const states = await inspect(engine, names, host);
  if (states.length < names.length) return 'the container is gone';
  const down = states.find((s) => s.status !== 'running' && s.status !== 'created');
  return down ? `the container is ${down.status}` : undefined;
}

/** Host PIDs of running containers: whatever holds their port must run below one of them. */
export async function containerPids(engine: RunEngine, names: string[], host: Host): Promise<number[]> {
  return (await inspect(engine, names, host)).map((s) => s.pid).filter((p) => p > 0);
}
