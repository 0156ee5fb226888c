import type { Command } from '../core/run.ts';

/** gitleaks over a folder (not a git history), secrets redacted in its JSON report; exit 1 when it found any. */
export function gitleaksDir(bin: string, dir: string, report: string): Command {
  return { argv: [bin, 'dir', dir, '--no-banner', '--redact', '--report-format', 'json', '--report-path', report, '--exit-code', '1'] };
}

/** Fails when Cargo.lock would have to change for Cargo.toml (what `cargo build --locked` refuses), without the network. */
export function cargoLockedMetadata(manifest: string): Command {
  return { argv: ['cargo', 'metadata', '--locked', '--offline', '--format-version', '1', '--manifest-path', manifest] };
}
