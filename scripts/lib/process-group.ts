// A child command in its own process group, supervised: the group is the unit that is
// watched and killed, so no grandchild (wrangler's workerd processes) outlives the command
// that started it, whichever process dies first or whatever signal arrives.

import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GroupMember {
  pid: number;
  /** The executable's name (ps comm), e.g. "node" or "workerd". */
  command: string;
}

/** The live processes of process group `pgid` (from ps; zombies excluded). */
export async function groupMembers(pgid: number): Promise<GroupMember[]> {
  const { stdout } = await run('ps', ['-A', '-o', 'pid=,pgid=,stat=,comm=']);
  const out: GroupMember[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (m && Number(m[2]) === pgid && !m[3].startsWith('Z')) out.push({ pid: Number(m[1]), command: m[4].trim() });
  }
  return out;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

export class ProcessGroup {
  readonly child: ChildProcess;
  readonly pgid: number;
  /** Resolves with the leader's exit code (or 128 + signal number) once it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** name: what the leader is called in reasons (e.g. "wrangler dev"). */
  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    opts: SpawnOptions,
  ) {
    this.child = spawn(cmd, args, { ...opts, detached: true });
    if (this.child.pid === undefined) throw new Error(`could not start ${cmd}`);
    this.pgid = this.child.pid;
    this.exited = new Promise((ok) => this.child.once('exit', (code, signal) => ok({ code, signal })));
    // A crash or process.exit() of the supervisor still takes the group with it (sync only).
    process.once('exit', () => signalGroup(this.pgid, 'SIGKILL'));
  }

  /** SIGTERM to the whole group; SIGKILL to what is left after `graceMs`; resolves when empty. */
  async stop(graceMs = 3000): Promise<void> {
    signalGroup(this.pgid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!(await groupMembers(this.pgid)).length) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    signalGroup(this.pgid, 'SIGKILL');
    for (let i = 0; i < 50 && (await groupMembers(this.pgid)).length; i++) await new Promise((r) => setTimeout(r, 100));
  }

  /**
   * Calls `onDeath` (once) with a one-line reason when the leader exits or when one of the
   * processes named in `watch` (e.g. workerd), as found at the call, disappears. Polls every
   * `everyMs`. Returns a function that ends the watch.
   */
  async watch(watch: readonly string[], onDeath: (reason: string) => void, everyMs = 500): Promise<() => void> {
    let done = false;
    const fire = (reason: string) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      onDeath(reason);
    };
    const baseline = (await groupMembers(this.pgid)).filter((m) => watch.includes(m.command));
    void this.exited.then(({ code, signal }) => fire(`${this.name} exited (${signal ? `signal ${signal}` : `code ${code}`})`));
    const timer = setInterval(() => {
      groupMembers(this.pgid).then(
        (now) => {
          const gone = baseline.find((b) => !now.some((m) => m.pid === b.pid));
          if (gone) fire(`${gone.command} (pid ${gone.pid}) died`);
        },
        () => undefined,
      );
    }, everyMs);
    timer.unref();
    return () => {
      done = true;
      clearInterval(timer);
    };
  }
}
