/**
 * Hostile SIP at a running paytone: thousands of malformed, truncated and mutated datagrams and TCP streams. The
 * process must not crash, must keep answering SIP and HTTP, and its memory must stay flat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { sipFixture as fixture } from '../support/sipFixtures.js';
import net from 'node:net';
import { startPaytoneProcess } from '../support/paytone.js';
import { until } from '../support/poll.js';


/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function corpus(count: number, seed: number): Buffer[] {
  const next = random(seed);
  const seeds = [fixture('sipp-invite.sip'), fixture('baresip-invite.sip')];
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const base = seeds[i % 2]!;
    switch (i % 6) {
      case 0:
        out.push(base.subarray(0, Math.floor(next() * base.length)));
        break;
      case 1: {
        const copy = Buffer.from(base);
        for (let flips = 0; flips < 1 + next() * 20; flips++) copy[Math.floor(next() * copy.length)] = Math.floor(next() * 256);
        out.push(copy);
        break;
      }
      case 2:
        out.push(Buffer.from(Array.from({ length: Math.floor(next() * 1400) }, () => Math.floor(next() * 256))));
        break;
      case 3: {
        const text = base.toString('latin1');
        const cut = text.indexOf('\r\n') + 2;
        out.push(Buffer.from(text.slice(0, cut) + `X-Bomb: ${'A'.repeat(Math.floor(next() * 20000))}\r\n` + text.slice(cut), 'latin1'));
        break;
      }
      case 4:
        out.push(Buffer.from(base.toString('latin1').replace(/Content-Length:\s*\d+/, `Content-Length: ${Math.floor(next() * 1e9)}`), 'latin1'));
        break;
      default:
        out.push(Buffer.from(base.toString('latin1').replace(/^Via:.*$/m, (via) => Array.from({ length: 1 + Math.floor(next() * 200) }, () => via).join('\r\n')), 'latin1'));
    }
  }
  return out;
}

function rss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function options(port: number, client: dgram.Socket, n: number): Promise<string> {
  const request = [
    'OPTIONS sip:127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${client.address().port};branch=z9hG4bKprobe${n};rport`,
    'From: <sip:probe@127.0.0.1>;tag=probe',
    'To: <sip:127.0.0.1>',
    `Call-ID: probe-${n}`,
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const answer = new Promise<string>((resolve) => client.on('message', (m) => m.toString().includes(`probe-${n}`) && resolve(m.toString().split('\r\n')[0]!)));
  client.send(request, port, '127.0.0.1');
  return answer;
}

async function sendAll(client: dgram.Socket, port: number, datagrams: Buffer[]): Promise<void> {
  for (let i = 0; i < datagrams.length; i++) {
    await new Promise<void>((resolve) => client.send(datagrams[i]!.subarray(0, 65_000), port, '127.0.0.1', () => resolve()));
    // Let the server keep up: a UDP socket buffer that overflows only loses datagrams, which proves nothing.
    if (i % 200 === 199) await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function tcpGarbage(port: number, chunks: Buffer[]): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const chunk of chunks) if (!socket.destroyed) socket.write(chunk);
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.end();
    setTimeout(() => socket.destroy(), 2000).unref();
  });
}

test('thousands of malformed datagrams and streams: no crash, SIP and HTTP still answer, memory flat', async () => {
  const paytone = await startPaytoneProcess({ env: { LOG_LEVEL: 'info' } });
  try {
    const sipPort = paytone.sipPort!;
    assert.ok(sipPort > 0);
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
    assert.equal(await options(sipPort, client, 0), 'SIP/2.0 200 OK');

    await sendAll(client, sipPort, corpus(2000, 1));
    await tcpGarbage(sipPort, corpus(200, 2));
    assert.equal(await options(sipPort, client, 1), 'SIP/2.0 200 OK');
    const before = rss(paytone.child.pid!);
    for (let round = 0; round < 4; round++) {
      await sendAll(client, sipPort, corpus(2000, 10 + round));
      await tcpGarbage(sipPort, corpus(100, 20 + round));
    }
    assert.equal(await options(sipPort, client, 2), 'SIP/2.0 200 OK');
    const after = rss(paytone.child.pid!);
    assert.ok(after - before < 40 * 1024 * 1024, `RSS grew from ${before} to ${after} bytes over 8,400 more messages`);
    assert.equal(paytone.child.exitCode, null);
    const health = await fetch(`${paytone.baseUrl}/healthz`);
    assert.equal(health.status, 200);
    await until('the malformed messages to be counted in the log', async () => /malformed SIP dropped/.test(paytone.output()));
    assert.doesNotMatch(paytone.output(), /"level":(50|60)/, 'no error or fatal line');
    client.close();
  } finally {
    await paytone.stop();
  }
});
