import { UserError } from '../core/errors.ts';
import type { ReleaseFile } from './manifest.ts';

export interface Budget {
  maxTotalBytes?: number;
  maxFileBytes?: number;
  maxFiles?: number;
}

const UNITS: Record<string, number> = { b: 1, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** Pure: "500kB", "2 MB", "1.5MiB" or a number of bytes. */
export function parseSize(value: string | number, option: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(String(value));
  if (!m) throw new UserError(`${option} must be a size such as 500kB, 2MB or a number of bytes; got '${value}'`);
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1000 ** 2) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1000 ** 2).toFixed(2)} MB`;
}

/** Pure: every way the build exceeds its budget, largest files first; empty when it fits. */
export function overBudget(files: ReleaseFile[], budget: Budget): string[] {
  const problems: string[] = [];
  const total = files.reduce((n, f) => n + f.size, 0);
  if (budget.maxFiles !== undefined && files.length > budget.maxFiles) problems.push(`${files.length} files, over the limit of ${budget.maxFiles}`);
  if (budget.maxTotalBytes !== undefined && total > budget.maxTotalBytes) {
    problems.push(`${formatSize(total)} in total, over the limit of ${formatSize(budget.maxTotalBytes)}`);
  }
  if (budget.maxFileBytes !== undefined) {
    const big = files.filter((f) => f.size > budget.maxFileBytes!).sort((a, b) => b.size - a.size);
    for (const f of big) problems.push(`${f.path} is ${formatSize(f.size)}, over the per-file limit of ${formatSize(budget.maxFileBytes)}`);
  }
  return problems;
}
