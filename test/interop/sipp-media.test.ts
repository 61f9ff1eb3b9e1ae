/**
 * SIPp as a media echo (issue 14 §6): SIPp 3.6.1 answers with SDP naming its media port and, with
 * `-rtp_echo`, sends every RTP packet it receives there back to the sender. We play a tone, record
 * what comes back to WAV, and check its frequency: a loopback proof of our send and receive paths
 * against an RTP stack that is not ours.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserAgent } from '../../src/ua/user-agent.js';
import { PortAllocator } from '../../src/media/ports.js';
import { RtpMedia, rtpMediaFactory } from '../../src/media/rtp-media.js';
import { ToneSource } from '../../src/media/sources.js';
import { WavRecorderSink } from '../../src/media/sinks.js';
import { containsTone, dominantFrequency } from '../../src/media/analyse.js';
import { readWavFile } from '../../src/media/wav.js';
import { listeningSipp, sippArgs } from '../helpers/sipp.js';
import { CollectSink, CountingSource } from '../helpers/media-probe.js';
import { freePort } from './ports.js';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

for (const hz of [440, 1000]) {
  test(`SIPp -rtp_echo returns our ${hz} Hz tone; we record it to WAV and measure it`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipp-echo-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const wavPath = join(dir, 'echo.wav');
    const sink = new CollectSink(await WavRecorderSink.create(wavPath));
    const source = new CountingSource(new ToneSource({ frequency: hz, amplitude: 0.25 }));
    const allocator = new PortAllocator({ min: 40000 + Math.floor(Math.random() * 500) * 20, max: 60000 });
    const ua = new UserAgent({
      aor: 'sip:echo-test@127.0.0.1',
      listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
      autoAnswer: 0,
      mediaFactory: rtpMediaFactory({ allocator, srtp: 'off', source: () => source, sink: () => sink }),
    });
    await ua.start();
    cleanup.push(() => ua.stop());

    const sipPort = await freePort();
    const mediaPort = await freePort();
    const sipp = await listeningSipp(
      sippArgs({
        scenario: 'uas-echo.xml',
        port: sipPort,
        extra: ['-mi', '127.0.0.1', '-mp', String(mediaPort), '-rtp_echo'],
      }),
      { port: sipPort },
      { timeoutMs: 35_000 },
    );
    // SIPp is bounded by its own -timeout and by runSipp's kill timer; its PID is killed at the end anyway
    cleanup.push(() => {
      try {
        process.kill(sipp.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    });

    const call = await ua.call(`sip:echo@127.0.0.1:${sipPort}`);
    assert.ok(call.media instanceof RtpMedia);
    const media = call.media;
    // what we hear is what we sent, back from SIPp's media port
    const heard = await sink.more(50, 10_000);
    assert.ok(containsTone(heard, hz), `the echo holds ${hz} Hz: ${JSON.stringify(dominantFrequency(heard))}`);
    await source.more(25);
    const st = media.stats();
    assert.ok(st.rtp.received >= 50, `echoed packets received: ${st.rtp.received}`);
    assert.ok(st.rtp.received <= st.rtp.sent, 'never more back than we sent');
    await call.hangup();
    await media.close();
    const r = await sipp.done;
    assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1000)}`);
    assert.equal(allocator.inUse, 0, 'ports freed after BYE');
    const wav = await readWavFile(wavPath);
    const d = dominantFrequency(wav.samples.subarray(2000));
    assert.ok(Math.abs(d.frequency - hz) <= 5, `the WAV recording measures ${d.frequency} Hz`);
  });
}
