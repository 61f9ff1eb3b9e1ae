import { execFileSync, spawnSync } from 'node:child_process';

/**
 * A test that needs an external tool installs it, or fails loudly: it never skips.
 * `requireTool('sipp', 'sip-tester')` returns the tool's path, running apt-get when missing
 * (CI and these machines run as root with the Debian registry reachable).
 */
export function requireTool(binary: string, debPackage: string): string {
  const found = which(binary);
  if (found) return found;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', debPackage], {
    env,
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { env, encoding: 'utf8', timeout: 600_000 });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', debPackage], {
      env,
      encoding: 'utf8',
      timeout: 600_000,
    });
  }
  const after = which(binary);
  if (!after) {
    throw new Error(
      `required tool "${binary}" (Debian package ${debPackage}) is missing and could not be installed: ${r.stderr?.slice(-500) ?? r.error}`,
    );
  }
  return after;
}

function which(binary: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
