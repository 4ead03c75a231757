import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { loadConfig, ConfigError } from '../../src/config.js';
import { trustedBy } from '../../src/telephony/sipSettings.js';
import { SipService } from '../../src/telephony/sipService.js';
import { createLogger } from '../../src/log.js';
import { runNode } from '../support/run.js';
import { tempDataDir } from '../support/paytone.js';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
    return '';
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
}

test('defaults: SIP on 127.0.0.1:5060 (not explicit), RTP 20000-20999, only loopback trusted, no trunk; off turns it off', () => {
  assert.deepEqual(loadConfig({}).sip, {
    listen: { host: '127.0.0.1', port: 5060 },
    explicit: false,
    publicAddress: { host: '127.0.0.1', port: null },
    rtpPorts: { first: 20000, last: 20999 },
    trust: ['127.0.0.1/32'],
    trunk: null,
    dtmfMask: 'flat',
  });
  assert.equal(loadConfig({ PAYTONE_SIP_LISTEN: 'off' }).sip, null);
  assert.equal(loadConfig({ PAYTONE_DTMF_MASK: 'silence' }).sip!.dtmfMask, 'silence');
  const set = loadConfig({
    PAYTONE_SIP_LISTEN: '0.0.0.0:5080',
    PAYTONE_SIP_PUBLIC_ADDRESS: 'sbc.example.com:5090',
    PAYTONE_RTP_PORTS: '40000-40099',
    PAYTONE_SIP_TRUST: '10.0.0.0/8, 192.0.2.7',
    PAYTONE_SIP_TRUNK: 'sip:203.0.113.20:5060;transport=tcp',
  }).sip!;
  assert.equal(set.explicit, true);
  assert.deepEqual(set.publicAddress, { host: 'sbc.example.com', port: 5090 });
  assert.deepEqual(set.trust, ['10.0.0.0/8', '192.0.2.7']);
  assert.equal(set.trunk, 'sip:203.0.113.20:5060;transport=tcp');
  assert.equal(loadConfig({ PAYTONE_SIP_LISTEN: '[::1]:5060' }).sip!.listen.host, '::1');
});

test('each bad SIP setting is one line naming the variable, the value and what is allowed', () => {
  const message = problems({
    PAYTONE_SIP_LISTEN: 'localhost',
    PAYTONE_RTP_PORTS: '20001-20001',
    PAYTONE_SIP_TRUST: '10.0.0.0/8,everyone',
    PAYTONE_SIP_TRUNK: 'sip:alice@trunk',
    PAYTONE_DTMF_MASK: 'beep',
  });
  assert.match(message, /^PAYTONE_SIP_LISTEN must be an IP address and port .* got "localhost"\.$/m);
  assert.match(message, /^PAYTONE_RTP_PORTS must be a range .* got "20001-20001"\.$/m);
  assert.match(message, /^PAYTONE_SIP_TRUST .* "everyone" is neither\.$/m);
  assert.match(message, /^PAYTONE_SIP_TRUNK must be a SIP URI .* got "sip:alice@trunk"\.$/m);
  assert.match(message, /^PAYTONE_DTMF_MASK must be flat \(.*\) or silence; got "beep"\.$/m);
  assert.match(problems({ PAYTONE_SIP_LISTEN: '0.0.0.0:5060' }), /^PAYTONE_SIP_PUBLIC_ADDRESS must be set when PAYTONE_SIP_LISTEN listens on every address/m);
  assert.equal(loadConfig({ PAYTONE_SIP_TRUNK: 'sip:trunk.example.com' }).unknownVariables.length, 0);
});

test('the trust list matches networks and single addresses, IPv4-mapped peers included', () => {
  const trusted = trustedBy(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32']);
  assert.equal(trusted('10.200.1.1'), true);
  assert.equal(trusted('::ffff:10.0.0.1'), true);
  assert.equal(trusted('192.0.2.7'), true);
  assert.equal(trusted('192.0.2.8'), false);
  assert.equal(trusted('2001:db8::5'), true);
  assert.equal(trusted('not an address'), false);
});

async function busyPort(): Promise<{ port: number; release(): void }> {
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
  const port = udp.address().port;
  const tcp = net.createServer();
  await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', () => resolve()));
  return { port, release: () => (udp.close(), tcp.close()) };
}

test('the default address busy: one warning and no SIP; an explicit address busy: start-up stops with a clear line', async () => {
  const busy = await busyPort();
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
  const settings = { ...loadConfig({}).sip!, listen: { host: '127.0.0.1', port: busy.port } };
  assert.equal(await SipService.start(settings, log), null);
  assert.equal(lines.length, 1);
  assert.match(JSON.parse(lines[0]!).msg, new RegExp(`^SIP is off: 127\\.0\\.0\\.1:${busy.port} is in use by another program; set PAYTONE_SIP_LISTEN`));

  const run = await runNode(MAIN, [], { HOST: '127.0.0.1', PORT: '0', PAYTONE_DATA_DIR: tempDataDir(), PAYTONE_SIP_LISTEN: `127.0.0.1:${busy.port}`, LOG_LEVEL: 'silent' });
  busy.release();
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`PAYTONE_SIP_LISTEN 127\\.0\\.0\\.1:${busy.port} is in use by another program; choose a free address and port, or set it to off`));
});
