// The part of npm's own publishing library (no published types) the npm publisher calls.
declare module 'libnpmpublish' {
  export function publish(manifest: Record<string, unknown>, tarballData: Buffer, opts: Record<string, unknown>): Promise<{ status: number }>;
}
