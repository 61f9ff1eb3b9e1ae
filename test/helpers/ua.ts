/** Switchboard user agents on 127.0.0.1 for the interop tests, stopped after the test file. */
import { after } from 'node:test';
import { UserAgent, type UserAgentOptions } from '../../src/ua/user-agent.js';

export type LocalUa = (
  name: string,
  opts?: Partial<UserAgentOptions> & { protocol?: 'udp' | 'tcp' },
) => Promise<{ ua: UserAgent; port: number }>;

/**
 * A starter of UAs `sip:<name>@127.0.0.1` listening on a free port of `protocol` (default udp), with
 * `defaults` under each call's options. Call once, at the top of a test file: every UA stops after it.
 */
export function localUas(defaults: Partial<UserAgentOptions> = {}): LocalUa {
  const started: UserAgent[] = [];
  after(async () => {
    await Promise.all(started.map((u) => u.stop()));
  });
  return async (name, { protocol = 'udp', ...opts } = {}) => {
    const ua = new UserAgent({
      aor: `sip:${name}@127.0.0.1`,
      listen: [{ protocol, host: '127.0.0.1', port: 0 }],
      ...defaults,
      ...opts,
    });
    await ua.start();
    started.push(ua);
    return { ua, port: ua.transport.address(protocol)!.port };
  };
}

/**
 * `n` calls from `ua` to `target` one after the other, each hung up once answered; rejects on a failed
 * call. With `awaitBye: false` the next call does not wait for the 200 to the BYE (see sipp-proxy).
 */
export async function callsThenHangUp(
  ua: UserAgent,
  target: string,
  n: number,
  { awaitBye = true }: { awaitBye?: boolean } = {},
): Promise<void> {
  for (let i = 0; i < n; i++) {
    const call = await ua.call(target).catch((e: Error) => {
      throw new Error(`call ${i} to ${target} failed: ${e.message}`);
    });
    const bye = call.hangup();
    if (awaitBye) await bye;
    else bye.catch(() => undefined);
  }
}
