/**
 * HTTPS on paytone's own port (PCI DSS 4.2.1: cardholder-data environments talk over strong cryptography). With
 * `PAYTONE_TLS_CERT` and `PAYTONE_TLS_KEY` (PEM files) the server speaks TLS 1.2 or later only; without them it
 * speaks plain HTTP and TLS is expected to end at a load balancer in front of it.
 *
 * @example
 *   const tls = readTlsFiles('/etc/paytone/cert.pem', '/etc/paytone/key.pem'); // { tls } or { problems }
 */
import crypto from 'node:crypto';
import fs from 'node:fs';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** Node's floor is already TLS 1.2; it is set here so that a changed default can never lower it. */
export const TLS_MIN_VERSION = 'TLSv1.2';

/**
 * Reads and checks the certificate chain and its private key: both or neither, readable PEM, and a key that belongs
 * to the certificate. The key's content never appears in a message.
 *
 * @example
 *   readTlsFiles(undefined, undefined) // { tls: null, problems: [] }
 */
export function readTlsFiles(certFile: string | undefined, keyFile: string | undefined): { tls: TlsMaterial | null; problems: string[] } {
  if (certFile === undefined && keyFile === undefined) return { tls: null, problems: [] };
  if (certFile === undefined || keyFile === undefined) {
    const [given, missing] = certFile === undefined ? ['PAYTONE_TLS_KEY', 'PAYTONE_TLS_CERT'] : ['PAYTONE_TLS_CERT', 'PAYTONE_TLS_KEY'];
    return { tls: null, problems: [`${given} is set but ${missing} is not: set both (PEM files) to serve HTTPS, or neither to serve HTTP behind a TLS-terminating load balancer.`] };
  }
  const read = (name: string, file: string): Buffer | string => {
    try {
      return fs.readFileSync(file);
    } catch {
      return `${name} must name a readable PEM file; "${file}" cannot be read.`;
    }
  };
  const cert = read('PAYTONE_TLS_CERT', certFile);
  const key = read('PAYTONE_TLS_KEY', keyFile);
  const unreadable = [cert, key].filter((v): v is string => typeof v === 'string');
  if (unreadable.length > 0 || typeof cert === 'string' || typeof key === 'string') return { tls: null, problems: unreadable };
  let certificate: crypto.X509Certificate;
  let privateKey: crypto.KeyObject;
  try {
    certificate = new crypto.X509Certificate(cert);
  } catch {
    return { tls: null, problems: [`PAYTONE_TLS_CERT must hold a PEM certificate; "${certFile}" does not.`] };
  }
  try {
    privateKey = crypto.createPrivateKey(key);
  } catch {
    return { tls: null, problems: [`PAYTONE_TLS_KEY must hold an unencrypted PEM private key; "${keyFile}" does not.`] };
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    return { tls: null, problems: [`PAYTONE_TLS_KEY ("${keyFile}") is not the private key of the certificate in PAYTONE_TLS_CERT ("${certFile}").`] };
  }
  return { tls: { cert, key }, problems: [] };
}
