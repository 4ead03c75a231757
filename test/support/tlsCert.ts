/**
 * A throwaway self-signed certificate for 127.0.0.1, made with the openssl command. Where openssl is missing, tests
 * skip with the reason; under CI=true that is a failure instead.
 *
 * @example
 *   const made = selfSignedCertificate();
 *   if ('skip' in made) return t.skip(made.skip);
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
  cert: Buffer;
}

export function selfSignedCertificate(): CertificateFiles | { skip: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
  } catch (err) {
    const reason = `the openssl command could not make a test certificate (${(err as Error).message}); install openssl to run the TLS tests`;
    if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
    return { skip: reason };
  }
  return { certFile, keyFile, cert: fs.readFileSync(certFile) };
}
