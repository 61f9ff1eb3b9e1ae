/**
 * Whether a process has bound a port, from Linux /proc: the socket's inode in /proc/<pid>/net/{udp,tcp}
 * (the process's own network namespace) and among that process's open file descriptors. This is the
 * readiness signal of peers that log nothing when they listen (SIPp, Kamailio's main process).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The inodes of sockets bound to local `port` (TCP: listening only) in the namespace of `pid`. */
function inodes(pid: number, port: number, protocol: 'udp' | 'tcp'): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const found = new Set<string>();
  for (const table of [protocol, `${protocol}6`]) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    // columns: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[1]!.split(':')[1] !== hex) continue;
      if (protocol === 'tcp' && f[3] !== '0A') continue; // 0A = LISTEN
      found.add(f[9]!);
    }
  }
  return found;
}

/** Whether process `pid` holds a socket bound to `port` (false when the process is gone). */
export function portBoundBy(pid: number, port: number, protocol: 'udp' | 'tcp' = 'udp'): boolean {
  const wanted = inodes(pid, port, protocol);
  if (wanted.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && wanted.has(m[1]!)) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}
