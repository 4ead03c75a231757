/**
 * HTTPS on paytone's own port (PAYTONE_TLS_CERT, PAYTONE_TLS_KEY): the API answers over TLS 1.2 or later only, a
 * plain-HTTP request on the same port gets nothing, and the certificate files are checked at start-up.
 */
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { readTlsFiles } from '../../src/api/tls.js';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { selfSignedCertificate, type CertificateFiles } from '../support/tlsCert.js';

const made = selfSignedCertificate();
const skip = 'skip' in made ? made.skip : false;

describe('HTTPS with PAYTONE_TLS_CERT and PAYTONE_TLS_KEY', { skip }, () => {
  const files = made as CertificateFiles;
  let paytone: PaytoneProcess;
  const trusting = new Agent({ connect: { ca: files.cert } });
  before(async () => (paytone = await startPaytone({ env: { PAYTONE_TLS_CERT: files.certFile, PAYTONE_TLS_KEY: files.keyFile } })));
  after(async () => {
    await trusting.close();
    await paytone?.stop();
  });

  it('serves the API over HTTPS, and tells browsers to keep to it (HSTS)', async () => {
    assert.match(paytone.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${paytone.baseUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: '+15551230600', From: '+15559870600' }).toString(),
      dispatcher: trusting,
    } as RequestInit);
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('strict-transport-security'), 'max-age=31536000', 'browsers keep to https from now on');
    assert.match(((await response.json()) as { sid: string }).sid, /^CA[0-9a-f]{32}$/);
  });

  it('gives a plain-HTTP request on the same port no answer, so nothing travels in the clear', async () => {
    await assert.rejects(fetch(paytone.baseUrl.replace('https:', 'http:') + '/'));
  });

  it('negotiates TLS 1.2 or later and refuses a client limited to TLS 1.1', async () => {
    const handshake = (options: tls.ConnectionOptions) =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: paytone.port, ca: files.cert, ...options }, () => {
          resolve(socket.getProtocol() ?? '');
          socket.end();
        });
        socket.on('error', reject);
      });
    assert.match(await handshake({}), /^TLSv1\.[23]$/);
    await assert.rejects(handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }));
  });
});

describe('TLS files at start-up', { skip }, () => {
  it('wants both files, readable, PEM, and a key that belongs to the certificate', () => {
    const files = made as CertificateFiles;
    const other = selfSignedCertificate() as CertificateFiles;
    assert.deepEqual(readTlsFiles(undefined, undefined), { tls: null, problems: [] });
    assert.ok(readTlsFiles(files.certFile, files.keyFile).tls);
    const problems = (cert: string | undefined, key: string | undefined) => readTlsFiles(cert, key).problems;
    assert.deepEqual(problems(files.certFile, undefined), [
      'PAYTONE_TLS_CERT is set but PAYTONE_TLS_KEY is not: set both (PEM files) to serve HTTPS, or neither to serve HTTP behind a TLS-terminating load balancer.',
    ]);
    assert.deepEqual(problems('/nonexistent/cert.pem', files.keyFile), ['PAYTONE_TLS_CERT must name a readable PEM file; "/nonexistent/cert.pem" cannot be read.']);
    assert.deepEqual(problems(files.keyFile, files.keyFile), [`PAYTONE_TLS_CERT must hold a PEM certificate; "${files.keyFile}" does not.`]);
    assert.deepEqual(problems(files.certFile, files.certFile), [`PAYTONE_TLS_KEY must hold an unencrypted PEM private key; "${files.certFile}" does not.`]);
    assert.deepEqual(problems(files.certFile, other.keyFile), [
      `PAYTONE_TLS_KEY ("${other.keyFile}") is not the private key of the certificate in PAYTONE_TLS_CERT ("${files.certFile}").`,
    ]);
  });
});
