/** Development certificates: a CA, and server certificates it signs for names and addresses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createDevCa, createDevCertificates, issueDevCertificate } from '../../src/transport/index.js';

test('the CA is a CA; the leaf is signed by it and names every DNS name and IP address', async () => {
  const c = await createDevCertificates(['biloxi.example.com', 'localhost', '127.0.0.1', '::1']);
  const ca = new X509Certificate(c.ca);
  const leaf = new X509Certificate(c.cert);
  assert.equal(ca.ca, true);
  assert.equal(leaf.ca, false);
  assert.ok(leaf.verify(ca.publicKey), 'signed by the CA');
  assert.ok(leaf.checkIssued(ca));
  assert.ok(!ca.verify(leaf.publicKey));
  assert.ok(leaf.checkHost('biloxi.example.com'));
  assert.ok(leaf.checkHost('localhost'));
  assert.equal(leaf.checkHost('atlanta.example.com'), undefined);
  assert.ok(leaf.checkIP('127.0.0.1'));
  assert.ok(leaf.checkIP('::1'));
  assert.equal(leaf.checkIP('192.0.2.1'), undefined);
  assert.ok(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(c.key)));
  assert.ok(new Date(leaf.validTo).getTime() > Date.now() + 86_400_000);
});

test('an existing CA signs further certificates; another CA does not verify them', async () => {
  const ca = await createDevCa({ name: 'Test CA' });
  const one = await issueDevCertificate(ca, ['atlanta.example.com']);
  const two = await createDevCertificates(['[2001:db8::1]'], { ca });
  assert.equal(two.ca, ca.cert);
  const caCert = new X509Certificate(ca.cert);
  assert.match(caCert.subject, /Test CA/);
  assert.ok(new X509Certificate(one.cert).verify(caCert.publicKey));
  assert.ok(new X509Certificate(two.cert).checkIP('2001:db8::1'));
  const stranger = await createDevCa();
  assert.equal(new X509Certificate(one.cert).verify(new X509Certificate(stranger.cert).publicKey), false);
  await assert.rejects(issueDevCertificate(ca, []), /at least one/);
});
