/** What went wrong connecting to a server, read from what ssh wrote. */
export type SshFailure = 'host-key-changed' | 'host-key-unknown' | 'key-refused' | 'bad-key' | 'unreachable' | 'other';

/** Pure: the kind of failure in ssh's error output. */
export function classifySshFailure(stderr: string): SshFailure {
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) return 'host-key-changed';
  if (/No \S+ host key is known for|Host key verification failed/i.test(stderr)) return 'host-key-unknown';
  if (/Load key .*: (invalid format|error in libcrypto)|invalid format/i.test(stderr)) return 'bad-key';
  if (/Permission denied/i.test(stderr)) return 'key-refused';
  if (
    /Connection refused|Connection timed out|timed out during banner|No route to host|Network is unreachable|Could not resolve hostname|Connection closed|Connection reset/i.test(
      stderr,
    )
  )
    return 'unreachable';
  return 'other';
}

/**
 * Pure: one sentence for people on why a server cannot be used and what to do, naming the server,
 * the deploy.json fields involved, and ssh's own last line.
 */
export function describeSshFailure(
  server: string,
  stderr: string,
  where: { envName: string; keyVariable: string; knownHosts: string; port: number; host: string },
): string {
  const said = stderr.trim().split('\n').filter(Boolean).at(-1) ?? 'no output';
  const scan = `ssh-keyscan${where.port === 22 ? '' : ` -p ${where.port}`} ${where.host}`;
  switch (classifySshFailure(stderr)) {
    case 'host-key-changed':
      return (
        `${server}: its host key is not the one pinned in ${where.knownHosts}: the server was replaced or someone is in between. ` +
        `If the key changed on purpose, put its new line (${scan}, checked out of band) in ${where.knownHosts}`
      );
    case 'host-key-unknown':
      return `${server}: ${where.knownHosts} pins no host key for it, and keys are never trusted on first use; add its line (${scan}, checked out of band)`;
    case 'bad-key':
      return `${server}: the private key in ${where.keyVariable} cannot be read by ssh (${said}); it must hold the whole key file, BEGIN and END lines included`;
    case 'key-refused':
      return `${server}: refused the key in ${where.keyVariable} (${said}); add its public key to that user's authorized_keys`;
    case 'unreachable':
      return `${server}: cannot be reached (${said})`;
    case 'other':
      return `${server}: ssh failed (${said})`;
  }
}
