/**
 * The main job: `switchboard demo` must exit 0 on every transport; its pcap must decode in
 * tshark (REFER, re-INVITE with SDP); its HTML ladder must work in headless Chromium.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cli/helpers.js';
import { requireTool } from '../helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-demo-'));

for (const transport of ['tls', 'udp', 'tcp', 'ws']) {
  test(`switchboard demo --transport ${transport} exits 0 with every check held`, async () => {
    const r = await run(['demo', '--transport', transport, '--width', '120', '--trace', join(dir, transport)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /^FAIL/m);
    for (const step of [
      '1 Alice calls Bob',
      '2 Bob holds Alice',
      '3 Bob resumes',
      '4 Alice transfers Bob to Carol',
      '5 Attended transfer with Replaces',
      '6 Everyone hangs up',
      '1a Audio flows both ways',
      '2a Held Alice stops sending, Bob keeps sending',
      '3a Audio flows again',
      '4a Carol and Bob talk',
    ]) {
      assert.match(r.stdout, new RegExp(`^PASS ${step}`, 'm'));
    }
    // the ladder shows the story
    assert.match(r.stdout, /INVITE \[sendonly\]/);
    assert.match(r.stdout, /200 OK \[recvonly\]/);
    assert.match(r.stdout, /REFER/);
    assert.match(r.stdout, /NOTIFY \(200/);
    for (const ext of ['html', 'pcap', 'jsonl']) assert.ok(existsSync(join(dir, `${transport}.${ext}`)));
  });
}

test('the demo pcap decodes in tshark: REFER with Refer-To, re-INVITE with a=sendonly SDP', () => {
  const tshark = requireTool('tshark', 'tshark');
  const out = execFileSync(tshark, ['-r', join(dir, 'tls.pcap'), '-Y', 'sip', '-V'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.match(out, /Request-Line: REFER sips:/);
  assert.match(out, /Refer-To: <sips:carol@chicago\.example\.com>/);
  assert.match(out, /Referred-By: <sips:alice@atlanta\.example\.com>/);
  assert.match(out, /Media Attribute \(a\): sendonly/);
  assert.match(out, /Media Attribute \(a\): recvonly/);
  assert.match(out, /Request-Line: NOTIFY /);
});

test('the demo pcap holds the RTP: tshark -z rtp,streams lists the streams (SRTP on TLS, G.711 on UDP)', () => {
  const tshark = requireTool('tshark', 'tshark');
  for (const t of ['udp', 'tls']) {
    const out = execFileSync(tshark, ['-r', join(dir, `${t}.pcap`), '-q', '-z', 'rtp,streams'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const streams = out.split('\n').filter((l) => /^\s+\d+\.\d+\s+\d+\.\d+\s+127\.0\.0\.1/.test(l));
    // Alice-Bob, after resume, Bob-Carol, the consultation, Bob-Alice: each both ways
    assert.ok(streams.length >= 6, `${t}: ${streams.length} RTP streams in\n${out}`);
    if (t === 'udp')
      assert.ok(
        streams.every((l) => /g711U/.test(l)),
        out,
      );
  }
});

test('switchboard trace prints the ladder of the recorded jsonl and pcap', async () => {
  for (const f of ['udp.jsonl', 'udp.pcap']) {
    const r = await run(['trace', join(dir, f), '--width', '120']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /REFER/);
    assert.match(r.stdout, /INVITE \[sendonly\]/);
  }
  const bad = await run(['trace', join(dir, 'tls.html')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: /);
});

test('the HTML ladder in headless Chromium: clicking the REFER arrow shows its Refer-To', async () => {
  const chromium = requireTool('chromium', 'chromium');
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({
    executablePath: chromium,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage();
    const html = readFileSync(join(dir, 'tls.html'), 'utf8');
    assert.ok(
      !/https?:\/\//.test(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')),
      'self-contained: no network references',
    );
    await page.goto('file://' + join(dir, 'tls.html'));
    const arrows = await page.locator('g.arrow').count();
    assert.ok(arrows > 40, `${arrows} arrows`);
    await page.locator('g.arrow[data-method="REFER"]').first().click();
    const text = await page.locator('#message').textContent();
    assert.match(text ?? '', /Refer-To: <sips:carol@chicago\.example\.com>/);
    await page.screenshot({ path: join(dir, 'ladder.png') });
    assert.ok(existsSync(join(dir, 'ladder.png')));
  } finally {
    await browser.close();
  }
});

test('switchboard demo --scenario hold|blind|attended each exit 0', async () => {
  for (const scenario of ['hold', 'blind', 'attended']) {
    const r = await run(['demo', '--transport', 'udp', '--scenario', scenario, '--no-ladder']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^PASS 7 Every request crossed the proxy/m);
    if (scenario === 'hold') assert.doesNotMatch(r.stdout, /REFER/);
    if (scenario === 'attended') assert.match(r.stdout, /^PASS 5 Attended transfer with Replaces/m);
  }
  const bad = await run(['demo', '--scenario', 'juggling']);
  assert.equal(bad.code, 2);
});
