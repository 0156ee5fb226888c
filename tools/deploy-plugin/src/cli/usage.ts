/** Each command's usage lines, in the order the general help lists them. */
const COMMAND_USAGE: Record<string, string> = {
  plan: `  plan --env <env> [--projects a,b]     print the ordered steps and commands of a deploy (runs nothing),
                                        with the lock and each project's last good deploy`,
  affected: `  affected --env <env> [-t deploy] [--dry-run] [-- <nx options>]
                                        deploy what changed since each project's last good deploy there`,
  health: `  health --env <env> [--timeout 5s]     every service's health URL, then every frontend's page; stops at
                                        the first that does not answer, naming it (exit 1)`,
  rollback: `  rollback <project> --env <env> [--to <release|version>] [--database] [--approve] [--lock-wait 5m]
                                        a frontend: an earlier CDN release serves again (default: the one
                                        before), no upload; a backend: the version that served before runs
                                        again (--database: and its database is restored from the backup its
                                        last deploy took before migrating)`,
  cdn: `  cdn releases --env <env> [--project p]
                                        a site's releases, which serves, which a prune keeps
  cdn prune --env <env> [--project p]   delete what only releases outside keepReleases and the grace period hold`,
  unpin: `  unpin <project> --env <env>           let deploys reach a project a manual rollback pinned there again`,
  proxy: `  proxy stop --env <env> [--project p]  stop the proxies in front of the environment's services (where they
                                        run: this machine, or each server); the services stop answering at their URLs`,
  history: `  history --env <env> [--project p] [--json]
                                        the deploy ledger of an environment`,
  status: `  status [--env <env>] [--out file.html]
                                        one page of every environment (or one): what serves, since when and
                                        by whom, each project's last deploys, locks, pins, CDN releases
                                        (default nx-deploy-status.html)`,
  report: `  report <deploy id> [--env <env>] [--out file.html]
                                        one deploy as a page: its steps, verification and canary samples
                                        plotted against the triggers, load test, alerts (deploys that
                                        verified, failed or rolled back also write it to
                                        <stateDir>/reports/<env>/<id>.html)`,
  lock: `  lock status --env <env>               who holds the environment's deploy lock
  lock release --env <env> [--force]    remove a stale lock (--force: even if its holder runs)`,
  state: `  state import --from file [--env <env>]
                                        copy the local ledger (stateDir) into the configured store, once`,
  release: `  release [--dry-run]                   publish what is not out yet (npm + crates, dependency order),
                                        tag <name>@<version>, create GitHub releases; resumable`,
  'sync-crates': `  sync-crates                           after \`changeset version\`: versions into Cargo.toml, requirements, Cargo.lock`,
};

export const COMMANDS = Object.keys(COMMAND_USAGE);

const FOOTER = 'Run from the workspace root (or set NX_WORKSPACE_ROOT).';

export function isCommand(name: string): boolean {
  return Object.hasOwn(COMMAND_USAGE, name);
}

/** The general help: every command. */
export function generalUsage(): string {
  return `Usage: nx-deploy <command> [options]\n\nCommands:\n${Object.values(COMMAND_USAGE).join('\n')}\n\n${FOOTER}`;
}

/** One command's help (`nx-deploy <command> --help`). */
export function commandUsage(command: string): string {
  return `Usage:\n${COMMAND_USAGE[command]}\n\n${FOOTER}`;
}

/** Why a command name is refused, listing the commands. */
export function unknownCommand(command: string): string {
  return `unknown command '${command}'. The commands are: ${COMMANDS.join(', ')}`;
}
