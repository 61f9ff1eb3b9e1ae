import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SipParseError, parseUri, type Uri } from '../../message/index.js';
import { UserAgent } from '../../ua/user-agent.js';
import type { Call } from '../../call/call.js';
import type { ExtensionMode } from '../../call/rel100.js';
import type { ListenOptions } from '../../transport/index.js';
import { TraceRecorder, writeTraceFiles } from '../../trace/index.js';
import { systemClock, type TimerHandle } from '../../util/clock.js';
import { taps, wireLogEnabled, wireLogger } from '../wire-log.js';
import { collectListen, type SetStatus } from '../options.js';
import { LineWriter, eventEmitter, type Emit } from '../output.js';
import { buildMedia, mediaOptions, runMediaCommand, watchMedia, type MediaFlags } from './phone-media.js';
import { streamLimitOptions, streamLimits, type StreamLimitFlags } from './stream-limits.js';
import { answerStatsOverIpc } from '../ipc-stats.js';

/** How long quit waits for commands still running before ua.stop() hangs up. */
const COMMAND_GRACE_MS = 2000;

/** What --quiet still prints: errors, readiness, registration, and answers to the `calls` command. */
const QUIET_EVENTS: ReadonlySet<string> = new Set(['error', 'ready', 'registered', 'call']);

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 90)
    throw new InvalidArgumentError('must be whole seconds, at least 90 (RFC 4028 §4)');
  return n;
}

function uriArg(v: string): Uri {
  try {
    return parseUri(v.replace(/^<|>$/g, ''));
  } catch (e) {
    throw new Error(`bad URI "${v}": ${e instanceof SipParseError ? e.reason : (e as Error).message}`, { cause: e });
  }
}

/** Wire a call's events to the phone's output. */
function watch(call: Call, emit: Emit): void {
  const c = call.id;
  call.on('ringing', (status) => emit('ringing', { call: c, status }));
  call.on('early-media', (status, m) =>
    emit('early-media', { call: c, status, remote: m.remoteAddress && `${m.remoteAddress}:${m.remotePort}` }),
  );
  call.on('established', () => emit('established', { call: c }));
  call.on('held', () => emit('held', { call: c }));
  call.on('resumed', () => emit('resumed', { call: c }));
  call.on('remote-held', () => emit('remote-held', { call: c }));
  call.on('remote-resumed', () => emit('remote-resumed', { call: c }));
  call.on('reinvite-failed', (status) =>
    emit('error', { call: c, message: `re-INVITE failed with ${status}; the call is unchanged` }),
  );
  call.on('refer-received', (i) => emit('refer-received', { call: c, referTo: i.referTo, referredBy: i.referredBy }));
  call.on('transfer-progress', (status, reason) => emit('transfer-progress', { call: c, status, reason }));
  call.on('transferred', (status) => emit('transferred', { call: c, status }));
  call.on('transfer-failed', (status, reason) => emit('transfer-failed', { call: c, status, reason }));
  call.on('terminated', (i) => emit('terminated', { call: c, reason: i.reason, code: i.code }));
  call.on('error', (e) => emit('error', { call: c, message: e.message }));
}

/** Execute one command line; throws Error with a user-facing message on bad input. */
export async function runCommand(ua: UserAgent, line: string, emit: Emit): Promise<'quit' | void> {
  const [cmd, ...args] = line.trim().split(/\s+/);
  if (!cmd) return;
  const find = (id?: string): Call => {
    const calls = [...ua.calls.values()].filter((c) => c.state !== 'terminated');
    if (id) {
      const c = ua.calls.get(id);
      if (!c || c.state === 'terminated') throw new Error(`no such call: ${id}`);
      return c;
    }
    const c = calls.at(-1);
    if (!c) throw new Error('no call');
    return c;
  };
  switch (cmd) {
    case 'call': {
      if (!args[0]) throw new Error('usage: call <uri>');
      const call = ua.dial(uriArg(args[0]));
      emit('calling', { call: call.id, to: args[0] });
      return;
    }
    case 'answer':
      return find(args[0]).answer();
    case 'progress':
      // 183 with our answer: early media (RFC 3960)
      return find(args[0]).progress();
    case 'reject': {
      const code = args[1] ? Number(args[1]) : 486;
      if (!Number.isInteger(code) || code < 300 || code > 699) throw new Error(`bad status code: ${args[1]}`);
      return find(args[0]).reject(code);
    }
    case 'hold':
      await find(args[0]).hold();
      return;
    case 'resume':
      await find(args[0]).resume();
      return;
    case 'transfer':
      if (!args[0]) throw new Error('usage: transfer <uri> [id]');
      await find(args[1]).transfer(uriArg(args[0]));
      return;
    case 'attended': {
      if (!args[0] || !args[1]) throw new Error('usage: attended <call-to-transfer> <consultation-call>');
      await find(args[0]).transfer(find(args[1]));
      return;
    }
    case 'hangup':
      return find(args[0]).hangup();
    case 'calls':
      for (const c of ua.calls.values())
        emit('call', {
          call: c.id,
          state: c.state,
          direction: c.direction,
          remote: c.remoteIdentity.uri.toString(),
          localHold: c.localHold,
          remoteHold: c.remoteHold,
        });
      return;
    case 'quit':
    case 'exit':
      return 'quit';
    default:
      if (
        await runMediaCommand(
          cmd,
          args,
          find,
          () => [...ua.calls.values()].filter((c) => c.state !== 'terminated'),
          emit,
        )
      )
        return;
      throw new Error(
        `unknown command "${cmd}" (call, progress, answer, reject, hold, resume, transfer, attended, hangup, calls, dtmf, play, stats, quit)`,
      );
  }
}

export function registerPhone(program: Command, setStatus: SetStatus): void {
  mediaOptions(streamLimitOptions(program.command('phone')))
    .description('a softphone on the command line: commands on stdin, events on stdout')
    .requiredOption('--aor <uri>', 'our address-of-record, e.g. "Alice <sip:alice@example.com>"')
    .option('--listen <transport:host:port>', 'listen address (repeatable)', collectListen)
    .option('--registrar <uri>', 'REGISTER with this registrar')
    .option('--user <name>', 'digest username')
    .option(
      '--password <password>',
      'digest password (never printed; SIP_PASSWORD in the environment keeps it out of the process list)',
    )
    .option('--outbound-proxy <uri>', 'send out-of-dialog requests through this proxy')
    .option('--auto-answer [ms]', 'answer incoming calls automatically (after ms)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0)
        throw new InvalidArgumentError('auto-answer delay must be a non-negative integer (ms)');
      return n;
    })
    .option(
      '--refer-policy <policy>',
      'accept or reject incoming REFER',
      (v) => {
        if (v !== 'accept' && v !== 'reject') throw new InvalidArgumentError('refer-policy must be accept or reject');
        return v;
      },
      'accept',
    )
    .option('--100rel <mode>', 'reliable provisional responses (RFC 3262): off, supported, required', (v) => {
      if (v !== 'off' && v !== 'supported' && v !== 'required')
        throw new InvalidArgumentError('100rel must be off, supported or required');
      return v;
    })
    .option('--session-timer <mode>', 'session timers (RFC 4028): off, supported, required', (v) => {
      if (v !== 'off' && v !== 'supported' && v !== 'required')
        throw new InvalidArgumentError('session-timer must be off, supported or required');
      return v;
    })
    .option('--session-expires <s>', 'session interval we ask for and accept at most (default 1800)', seconds)
    .option('--min-se <s>', 'smallest session interval we accept (default 90, never lower)', seconds)
    .option('--tls-cert <file>', 'certificate (PEM) for tls/wss listeners')
    .option('--tls-key <file>', 'private key (PEM) for tls/wss listeners')
    .option('--tls-ca <file>', 'trust this CA for outgoing TLS (development); verification stays on')
    .option('--trace <prefix>', 'write <prefix>.html/.pcap/.jsonl on exit')
    .option('--json', 'events as JSON objects, one per line')
    .option('-q, --quiet', 'no per-call events (errors are still shown)')
    .option('-v, --verbose', 'print every SIP message on stderr (also DEBUG=switchboard)')
    .action(
      async (
        opts: StreamLimitFlags &
          MediaFlags & {
            aor: string;
            listen?: ListenOptions[];
            registrar?: string;
            user?: string;
            password?: string;
            outboundProxy?: string;
            autoAnswer?: number | boolean;
            referPolicy: 'accept' | 'reject';
            '100rel'?: ExtensionMode;
            sessionTimer?: ExtensionMode;
            sessionExpires?: number;
            minSe?: number;
            tlsCert?: string;
            tlsKey?: string;
            tlsCa?: string;
            trace?: string;
            json?: boolean;
            quiet?: boolean;
            verbose?: boolean;
          },
      ) => {
        // events are batched: one write per event-loop turn, not one per event (issue 16)
        const out = new LineWriter(process.stdout);
        const flushAtExit = () => out.flushSync();
        process.once('exit', flushAtExit);
        const emit = eventEmitter(out, { json: !!opts.json, quiet: !!opts.quiet, always: QUIET_EVENTS });
        let ua: UserAgent;
        const recorder = opts.trace ? new TraceRecorder() : undefined;
        try {
          const listen = opts.listen ?? [{ protocol: 'udp' as const, host: '127.0.0.1', port: 0 }];
          const tls =
            opts.tlsCert && opts.tlsKey
              ? { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) }
              : undefined;
          if (listen.some((l) => (l.protocol === 'tls' || l.protocol === 'wss') && !tls))
            throw new Error('tls/wss listeners need --tls-cert and --tls-key');
          const mediaFactory = await buildMedia(opts);
          ua = new UserAgent({
            aor: opts.aor,
            ...(mediaFactory ? { mediaFactory } : {}),
            transportOptions: streamLimits(opts),
            listen: listen.map((l) => ({ ...l, ...(tls ? { tls } : {}) })),
            ...(opts.tlsCa ? { tlsCa: readFileSync(opts.tlsCa, 'utf8') } : {}),
            ...(opts.registrar ? { registrar: opts.registrar } : {}),
            ...(opts.outboundProxy ? { outboundProxy: opts.outboundProxy } : {}),
            ...(opts.user && (opts.password ?? process.env.SIP_PASSWORD)
              ? { credentials: { username: opts.user, password: (opts.password ?? process.env.SIP_PASSWORD)! } }
              : {}),
            autoAnswer:
              opts.autoAnswer === undefined ? false : opts.autoAnswer === true ? 0 : (opts.autoAnswer as number),
            referPolicy: opts.referPolicy,
            ...(opts['100rel'] ? { rel100: opts['100rel'] } : {}),
            sessionTimers: {
              mode: opts.sessionTimer ?? 'supported',
              ...(opts.sessionExpires !== undefined ? { interval: opts.sessionExpires } : {}),
              ...(opts.minSe !== undefined ? { minSE: opts.minSe } : {}),
            },
            ...(() => {
              const tap = taps(recorder?.tap('phone'), wireLogEnabled(opts.verbose) ? wireLogger('phone') : undefined);
              return tap ? { tap } : {};
            })(),
          });
          await ua.start();
        } catch (e) {
          process.stderr.write(
            `error: ${e instanceof SipParseError ? `bad --aor: ${e.reason}` : (e as Error).message}\n`,
          );
          setStatus(2);
          await out.end();
          return;
        }
        ua.on('call', (call: Call) => {
          watch(call, emit);
          watchMedia(call, emit);
        });
        ua.on('incoming', (call: Call) =>
          emit('incoming', {
            call: call.id,
            from: call.invite.get('From'),
            to: call.invite.get('To'),
            referredBy: call.referredBy,
            replaces: call.replaces,
          }),
        );
        ua.on('registered', (expires) => emit('registered', { expires }));
        ua.on('registration-failed', (status, reason) =>
          emit('error', { message: `registration failed: ${status} ${reason}` }),
        );
        const stopStats = answerStatsOverIpc(() => ({
          calls: ua.calls.size,
          dialogs: ua.core.dialogCount,
          transactions: ua.core.transactions.size,
        }));
        const c = ua.contact.uri.toString();
        emit('ready', { contact: c });
        if (opts.registrar) {
          ua.register().catch((e: Error) => emit('error', { message: `registration failed: ${e.message}` }));
        }
        const rl = createInterface({ input: process.stdin, terminal: process.stdin.isTTY });
        if (process.stdin.isTTY) {
          rl.setPrompt('> ');
          rl.prompt();
        }
        // commands still running at quit (an answer waiting for its ACK, a hold for its 200)
        const running = new Set<Promise<void>>();
        const done = new Promise<void>((resolve) => {
          rl.on('line', (line) => {
            const p: Promise<void> = runCommand(ua, line, emit)
              .then((r) => {
                if (r === 'quit') rl.close();
                else if (process.stdin.isTTY) rl.prompt();
              })
              .catch((e: Error) => {
                emit('error', { message: e.message });
                if (process.stdin.isTTY) rl.prompt();
              })
              .finally(() => running.delete(p));
            running.add(p);
          });
          rl.on('close', () => resolve());
          process.once('SIGINT', () => rl.close());
          process.once('SIGTERM', () => rl.close());
        });
        await done;
        // let the last commands' requests finish before hanging up, within a bound (ua.stop() has its own)
        let timer: TimerHandle | undefined;
        await Promise.race([
          Promise.all(running),
          new Promise<void>((r) => (timer = systemClock.setTimeout(r, COMMAND_GRACE_MS))),
        ]);
        systemClock.clearTimeout(timer);
        stopStats();
        await ua.stop();
        if (recorder && opts.trace) await writeTraceFiles(recorder.entries, opts.trace);
        await out.end();
        process.removeListener('exit', flushAtExit);
        setStatus(0);
      },
    );
}
