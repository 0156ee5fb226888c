import { spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { childEnvironment } from './child-env.ts';
import { UserError } from './errors.ts';
import type { Logger } from './log.ts';
import type { Redactor } from './redact.ts';

/** A command is data: an argv array plus where and how to run it. Builders return these. */
export interface Command {
  argv: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Text fed to the command's standard input. */
  input?: string;
  timeoutMs?: number;
  /** How the command is shown to people when its argv is not the best way (a command sent to a server over SSH). */
  shown?: string;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** How to stop each program running beside a deploy: all of them when this process exits. */
const BESIDE = new Set<() => void>();
const stopBesideOnExit = () => {
  for (const stop of BESIDE) stop();
};

/** Shell-like rendering for people (plans, logs). Never executed. */
export function renderCommand(cmd: Command): string {
  if (cmd.shown !== undefined) return cmd.shown;
  return cmd.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * The one place commands run: execa with an argv array (never a shell), output streamed line by
 * line through the redacting logger, a timeout per command, and errors that say which command
 * failed and how, with secrets removed. `node_modules/.bin` of the workspace comes first on PATH,
 * so `node` is the workspace's pinned Node. Children inherit only core/child-env.ts's variables
 * plus the command's own.
 */
export class Runner {
  private readonly running = new Set<ResultPromise>();
  private readonly workspaceRoot: string;
  private readonly redactor: Redactor;
  private readonly log: Logger;
  /** Why no command may start any more (the deploy's lock lease is lost), checked before each one. */
  private stopReason: () => string | undefined = () => undefined;

  constructor(workspaceRoot: string, redactor: Redactor, log: Logger) {
    this.workspaceRoot = workspaceRoot;
    this.redactor = redactor;
    this.log = log;
  }

  /** From now on each command first asks `reason` whether it may start; a reason stops it, unrun. */
  guard(reason: () => string | undefined): void {
    this.stopReason = reason;
  }

  private mayStart(shown: string): void {
    const reason = this.stopReason();
    if (reason) throw new UserError(`${reason}, so this was not run: ${shown}`);
  }

  /** `signal`: stops the command (SIGTERM) when aborted; the run then fails with the signal's reason. */
  async run(cmd: Command, opts: { quiet?: boolean; allowFailure?: boolean; signal?: AbortSignal } = {}): Promise<RunResult> {
    const started = Date.now();
    const shown = this.redactor.redact(renderCommand(cmd));
    this.mayStart(shown);
    if (!opts.quiet) this.log.info(`$ ${shown}`);
    const timeoutMs = cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const subprocess = execa(cmd.argv[0]!, cmd.argv.slice(1), {
      cwd: cmd.cwd ?? this.workspaceRoot,
      env: childEnvironment(cmd.env),
      extendEnv: false,
      input: cmd.input,
      stdin: cmd.input === undefined ? 'ignore' : undefined,
      preferLocal: true,
      localDir: this.workspaceRoot,
      timeout: timeoutMs,
      forceKillAfterDelay: 5_000,
      cancelSignal: opts.signal,
      reject: false,
      all: true,
      stripFinalNewline: true,
    });
    this.running.add(subprocess);
    try {
      if (!opts.quiet) {
        for await (const line of subprocess.iterable({ from: 'all' })) this.log.info(`  ${line}`);
      }
      const result = await subprocess;
      const out: RunResult = {
        exitCode: result.exitCode ?? 1,
        stdout: String(result.stdout ?? ''),
        stderr: String(result.stderr ?? ''),
        durationMs: Date.now() - started,
      };
      if (result.timedOut) {
        throw new UserError(
          `command timed out after ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`} and was stopped: ${shown}`,
        );
      }
      if (result.isCanceled) throw new UserError(`${String(opts.signal?.reason ?? 'stopped')}, so this was stopped: ${shown}`);
      if (result.failed && result.exitCode === undefined) {
        const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
        const why =
          code === 'ENOENT'
            ? `'${cmd.argv[0]}' was not found on PATH; install it or fix the command`
            : this.redactor.redact(result.shortMessage ?? 'unknown error');
        throw new UserError(`could not run ${shown}: ${why}`);
      }
      if (out.exitCode !== 0 && !opts.allowFailure) throw new CommandFailed(shown, out, this.redactor);
      return out;
    } finally {
      this.running.delete(subprocess);
    }
  }

  /** `from | to` without a shell: two processes, the first one's output fed to the second. */
  async pipe(from: Command, to: Command): Promise<void> {
    const shown = this.redactor.redact(`${renderCommand(from)} | ${renderCommand(to)}`);
    this.mayStart(shown);
    const opts = (c: Command) => ({
      cwd: c.cwd ?? this.workspaceRoot,
      env: childEnvironment(c.env),
      extendEnv: false,
      preferLocal: true,
      localDir: this.workspaceRoot,
      timeout: c.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      reject: false,
    });
    const source = execa(from.argv[0]!, from.argv.slice(1), opts(from));
    const sink = source.pipe(to.argv[0]!, to.argv.slice(1), opts(to));
    this.running.add(source);
    let result;
    try {
      result = await sink;
    } finally {
      this.running.delete(source);
    }
    const failed = [result, ...result.pipedFrom].find((r) => r.exitCode !== 0);
    if (failed)
      throw new UserError(
        `command failed with exit code ${failed.exitCode}: ${shown}\n    ${this.redactor
          .redact(String(failed.stderr ?? ''))
          .split('\n')
          .slice(-3)
          .join('\n    ')}`,
      );
  }

  /**
   * Starts a long-running program (a local service) detached from this process, in a process
   * group of its own, and returns its PID. `input` is written to its standard input, which is then
   * closed; its own output is discarded (a service's supervisor writes its log). Stopping it later
   * is done by PID.
   */
  spawnDetached(cmd: Command): number {
    this.mayStart(this.redactor.redact(renderCommand(cmd)));
    this.log.info(`$ ${this.redactor.redact(renderCommand(cmd))} (in the background)`);
    const env = childEnvironment(cmd.env);
    env.PATH = `${join(this.workspaceRoot, 'node_modules', '.bin')}${delimiter}${env.PATH ?? ''}`;
    const child = spawn(cmd.argv[0]!, cmd.argv.slice(1), {
      cwd: cmd.cwd ?? this.workspaceRoot,
      env,
      detached: true,
      stdio: [cmd.input === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'],
    });
    child.on('error', () => undefined);
    if (child.pid === undefined)
      throw new UserError(`could not start ${this.redactor.redact(renderCommand(cmd))}: '${cmd.argv[0]}' was not found on PATH`);
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(cmd.input);
    child.unref();
    return child.pid;
  }

  /**
   * Starts a program that runs beside the deploy until told to stop (an SSH connection): its end and
   * its error output (redacted) for diagnosis. It gets a process group of its own, so the Ctrl-C that
   * interrupts a deploy does not also cut what the deploy needs to undo itself; stopAll leaves it
   * alone too. It is stopped when this process exits, however it exits short of SIGKILL.
   */
  background(cmd: Command): Background {
    this.mayStart(this.redactor.redact(renderCommand(cmd)));
    this.log.info(`$ ${this.redactor.redact(renderCommand(cmd))} (beside the deploy)`);
    const sub = execa(cmd.argv[0]!, cmd.argv.slice(1), {
      cwd: cmd.cwd ?? this.workspaceRoot,
      env: childEnvironment(cmd.env),
      extendEnv: false,
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'pipe',
      reject: false,
      detached: true,
      preferLocal: true,
      localDir: this.workspaceRoot,
    });
    const stop = () => void sub.kill('SIGTERM');
    if (!BESIDE.size) process.once('exit', stopBesideOnExit);
    BESIDE.add(stop);
    const ended = sub.then((r) => {
      BESIDE.delete(stop);
      if (!BESIDE.size) process.removeListener('exit', stopBesideOnExit);
      return { exitCode: r.exitCode ?? 1, stderr: this.redactor.redact(String(r.stderr ?? r.shortMessage ?? '')) };
    });
    return { ended, stop };
  }

  /** On an interrupt: stop whatever command is running, so nothing outlives the deploy. */
  stopAll(signal: NodeJS.Signals = 'SIGTERM'): void {
    for (const p of this.running) p.kill(signal);
  }
}

/** A program started by Runner.background. */
export interface Background {
  /** When it exits: its exit code and what it wrote to standard error. */
  ended: Promise<{ exitCode: number; stderr: string }>;
  stop(): void;
}

export class CommandFailed extends UserError {
  readonly result: RunResult;

  constructor(shown: string, result: RunResult, redactor: Redactor) {
    const tail = (result.stderr || result.stdout).split('\n').filter(Boolean).slice(-5).join('\n    ');
    super(redactor.redact(`command failed with exit code ${result.exitCode}: ${shown}${tail ? `\n    ${tail}` : ''}`));
    this.result = result;
  }
}
