import { readdirSync, readFileSync } from 'node:fs';

/**
 * Samples the command line of every process on this machine (which holds both the deploy and the
 * test hosts: their sshd sessions and what those run) every few milliseconds until stopped; returns
 * every distinct one seen. What a secret must never be part of.
 */
export function watchCommandLines(everyMs = 20): { stop(): string[] } {
  const seen = new Set<string>();
  const sample = () => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
        if (line) seen.add(line);
      } catch {
        // gone between the listing and the read
      }
    }
  };
  const timer = setInterval(sample, everyMs);
  sample();
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return [...seen];
    },
  };
}
