import { generate } from 'selfsigned';

export interface DevCertificates {
  /** The development CA certificate (PEM): pass it as `tlsCa` to trust the others. */
  ca: string;
  caKey: string;
  /** A server certificate signed by the CA, for the given names and addresses. */
  key: string;
  cert: string;
}

/**
 * A development CA and a certificate it signs for `names` (DNS names and IP addresses), so
 * that TLS verification can stay on in tests and the demo (the CA is trusted explicitly).
 * EC P-256 keys keep generation fast.
 */
export async function createDevCertificates(names: string[] = ['localhost', '127.0.0.1', '::1']): Promise<DevCertificates> {
  const now = new Date(Date.now() - 60_000);
  const later = new Date(Date.now() + 7 * 24 * 3600_000);
  const ca = await generate([{ name: 'commonName', value: 'Switchboard Development CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: later,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  } as never);
  const altNames = names.map((n) => (/^[0-9.]+$|:/.test(n) ? { type: 7, ip: n } : { type: 2, value: n }));
  const leaf = await generate([{ name: 'commonName', value: names[0] ?? 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: later,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  } as never);
  return { ca: ca.cert, caKey: ca.private, key: leaf.private, cert: leaf.cert };
}
