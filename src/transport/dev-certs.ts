import { isIP } from 'node:net';
import { generate } from 'selfsigned';

export interface DevCertificates {
  /** The development CA certificate (PEM): trust it with `tlsCa` (or `listen({ tls: { ca } })`). */
  ca: string;
  caKey: string;
  /** A server certificate signed by the CA, for the given names and addresses. */
  key: string;
  cert: string;
}

export interface DevCertificateOptions {
  /** Sign with this existing CA instead of creating a new one. */
  ca?: { cert: string; key: string };
  /** Validity in days (default 7). */
  days?: number;
  /** Common name of a newly created CA. */
  caName?: string;
}

const window = (days: number) => ({
  notBeforeDate: new Date(Date.now() - 60_000),
  notAfterDate: new Date(Date.now() + days * 86_400_000),
});

/** A new development CA (EC P-256, SHA-256), valid for `days`. */
export async function createDevCa(opts: { days?: number; name?: string } = {}): Promise<{ cert: string; key: string }> {
  const ca = await generate([{ name: 'commonName', value: opts.name ?? 'Switchboard Development CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...window(opts.days ?? 7),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: ca.cert, key: ca.private };
}

/**
 * A server (and client) certificate signed by `ca` for `names`: DNS names (localhost,
 * biloxi.example.com) and IP addresses (127.0.0.1, ::1) go into subjectAltName.
 */
export async function issueDevCertificate(
  ca: { cert: string; key: string },
  names: string[],
  days = 7,
): Promise<{ key: string; cert: string }> {
  if (names.length === 0) throw new Error('a certificate needs at least one name or address');
  const altNames = names.map((n) =>
    isIP(n.replace(/^\[|\]$/g, ''))
      ? { type: 7 as const, ip: n.replace(/^\[|\]$/g, '') }
      : { type: 2 as const, value: n },
  );
  const leaf = await generate([{ name: 'commonName', value: names[0]! }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...window(days),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { key: leaf.private, cert: leaf.cert };
}

/**
 * A development CA and a certificate it signs for `names` (DNS names and IP addresses), so that
 * TLS verification stays on in tests and the demo: the CA is trusted explicitly. Uses the
 * `selfsigned` package (which signs with a given CA); EC P-256 keeps generation fast.
 */
export async function createDevCertificates(
  names: string[] = ['localhost', '127.0.0.1', '::1'],
  opts: DevCertificateOptions = {},
): Promise<DevCertificates> {
  const ca =
    opts.ca ??
    (await createDevCa({ ...(opts.days ? { days: opts.days } : {}), ...(opts.caName ? { name: opts.caName } : {}) }));
  const leaf = await issueDevCertificate(ca, names, opts.days ?? 7);
  return { ca: ca.cert, caKey: ca.key, key: leaf.key, cert: leaf.cert };
}
