// CPU time of this process's child processes of one name (Linux /proc), e.g. the workerd that
// Miniflare starts: user + system time of all its threads, so V8's background compilation
// counts too. workerd's own clock does not move while an isolate starts, so this is the only
// local reading of what the global scope costs. null where /proc is not there.

import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux build in use). */
const USER_HZ = 100;

export function childCpuMs(comm: string, parent = process.pid): number | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid ... utime stime: fields after the last ')' (comm may hold spaces).
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== comm) continue;
    const f = stat.slice(close + 2).split(' ');
    if (Number(f[1]) !== parent) continue;
    ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1000) / USER_HZ;
}
