import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSipMessage, serializeSipMessage, SIP_LIMITS, type ParsedMessage } from '../../../src/telephony/sip/message.js';
import { parseNameAddr, parseUri, parseVia } from '../../../src/telephony/sip/headers.js';
import { SipStreamFramer } from '../../../src/telephony/sip/streamFramer.js';

import { sipFixture as fixture } from '../../support/sipFixtures.js';

function parsed(text: string | Buffer): ParsedMessage {
  const result = parseSipMessage(Buffer.isBuffer(text) ? text : Buffer.from(text));
  if (!result.ok) throw new Error(result.problem);
  return result.message;
}

test('the INVITE SIPp sends is read whole: request line, core headers, SDP body cut to Content-Length', () => {
  const invite = parsed(fixture('sipp-invite.sip'));
  assert.equal(invite.kind, 'request');
  if (invite.kind !== 'request') return;
  assert.equal(invite.method, 'INVITE');
  assert.equal(parseUri(invite.uri)?.user, '+15551230001');
  assert.equal(invite.core.callId.endsWith('@127.0.0.1'), true);
  assert.equal(invite.core.cseq, 1);
  assert.equal(invite.core.via[0]!.port, 5963);
  assert.equal(invite.core.via[0]!.params.get('branch')?.startsWith('z9hG4bK'), true);
  assert.equal(invite.core.from.params.get('tag')?.endsWith('SIPpTag001'), true);
  assert.equal(invite.core.to.params.has('tag'), false);
  assert.equal(invite.body.length, 129);
  assert.match(invite.body.toString(), /^v=0\r\n[\s\S]*a=rtpmap:0 PCMU\/8000\r\n$/);
});

test("baresip's INVITE: rport without a value, name-addr Contact, an empty Supported", () => {
  const invite = parsed(fixture('baresip-invite.sip'));
  assert.equal(invite.core.via[0]!.params.get('rport'), null);
  assert.equal(invite.headers.get('supported'), undefined);
  assert.match(parseNameAddr(invite.headers.get('contact')!)!.uri, /^sip:caller-0x[0-9a-f]+@127\.0\.0\.1:5994$/);
  assert.equal(invite.core.cseq, 63832);
  assert.match(invite.body.toString(), /m=audio \d+ RTP\/AVP 0 8 101/);
});

test('compact header forms read as their full names; folded lines are joined', () => {
  const message = parsed(
    'BYE sip:paytone@127.0.0.1 SIP/2.0\r\nv: SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bKa1\r\nf: <sip:a@10.0.0.1>;tag=1\r\nt: <sip:b@10.0.0.2>\r\n ;tag=2\r\ni: abc@10.0.0.1\r\nCSeq: 7 BYE\r\nm: <sip:a@10.0.0.1:5070>\r\nl: 0\r\n\r\n',
  );
  assert.equal(message.core.via[0]!.transport, 'TCP');
  assert.equal(message.core.to.params.get('tag'), '2');
  assert.equal(message.core.callId, 'abc@10.0.0.1');
  assert.equal(message.headers.get('contact'), '<sip:a@10.0.0.1:5070>');
});

test('several Via in one header line, and in several lines, keep their order', () => {
  const message = parsed(
    'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a.example;branch=z9hG4bK1, SIP/2.0/UDP b.example:5070;branch=z9hG4bK2\r\nVia: SIP/2.0/UDP [2001:db8::1]:5080;branch=z9hG4bK3\r\nFrom: "A, B" <sip:a@a.example>;tag=x\r\nTo: <sip:b@b.example>;tag=y\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  );
  assert.equal(message.kind, 'response');
  assert.deepEqual(message.core.via.map((v) => `${v.host}:${v.port}`), ['a.example:null', 'b.example:5070', '2001:db8::1:5080']);
  assert.equal(message.core.from.display, 'A, B');
});

test('written messages parse back to the same thing, Content-Length counted', () => {
  const invite = parsed(fixture('baresip-invite.sip'));
  const again = parsed(serializeSipMessage(invite));
  assert.deepEqual(again.body, invite.body);
  assert.deepEqual([...again.headers.entries()].filter(([n]) => n !== 'content-length'), [...invite.headers.entries()].filter(([n]) => n !== 'content-length'));
  assert.match(serializeSipMessage(invite).toString(), /\r\nCall-ID: 9d9cb15b7c57d0cd\r\nCSeq: 63832 INVITE\r\n/);
});

test('hostile input comes back as a problem, never an exception', () => {
  const good = fixture('sipp-invite.sip');
  const cases: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['garbage', Buffer.from([0xff, 0x00, 0x13, 0x37])],
    ['no blank line', good.subarray(0, 200)],
    ['truncated body', good.subarray(0, good.length - 10)],
    ['over the size limit', Buffer.concat([good, Buffer.alloc(SIP_LIMITS.messageBytes)])],
    ['no Via', Buffer.from(good.toString().replace(/^Via:.*\r\n/m, ''))],
    ['bad CSeq', Buffer.from(good.toString().replace('CSeq: 1 INVITE', 'CSeq: x INVITE'))],
    ['CSeq method differs', Buffer.from(good.toString().replace('CSeq: 1 INVITE', 'CSeq: 1 BYE'))],
    ['bad Request-URI', Buffer.from(good.toString().replace('INVITE sip:', 'INVITE http:'))],
    ['Content-Length not a number', Buffer.from(good.toString().replace(/Content-Length:\s+129/, 'Content-Length: -1'))],
    ['header without a colon', Buffer.from(good.toString().replace('Max-Forwards: 70', 'Max-Forwards 70'))],
    ['too many headers', Buffer.from(good.toString().replace('Max-Forwards: 70\r\n', 'X-A: 1\r\n'.repeat(SIP_LIMITS.headers + 1)))],
    ['Via with a bad port', Buffer.from(good.toString().replace('127.0.0.1:5963', '127.0.0.1:99999'))],
    ['From without a URI', Buffer.from(good.toString().replace(/^From:.*$/m, 'From: <>;tag=1'))],
  ];
  for (const [name, bytes] of cases) {
    const result = parseSipMessage(bytes);
    assert.equal(result.ok, false, name);
  }
});

test('URI, name-addr and Via readers refuse malformed values with null', () => {
  assert.equal(parseUri('sip:@host'), null);
  assert.equal(parseUri('sip:a@ho st'), null);
  assert.equal(parseUri('sip:a%zz@host'), null);
  assert.deepEqual(parseUri('sip:%2B1555@h:5070;transport=TCP'), { scheme: 'sip', user: '+1555', host: 'h', port: 5070, params: new Map([['transport', 'TCP']]) });
  assert.equal(parseNameAddr('"x" <sip:a@b'), null);
  assert.equal(parseVia('SIP/2.0 UDP a'), null);
  assert.equal(parseVia('SIP/2.0/UDP a;=x'), null);
});

test('a TCP stream is cut into messages by Content-Length, across chunks, skipping CRLF keep-alives', () => {
  const one = fixture('sipp-invite.sip');
  const two = fixture('baresip-invite.sip');
  const stream = Buffer.concat([Buffer.from('\r\n\r\n'), one, two]);
  const framer = new SipStreamFramer();
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 97) {
    const { messages, broken } = framer.push(stream.subarray(i, i + 97));
    assert.equal(broken, null);
    out.push(...messages);
  }
  assert.deepEqual(out, [one, two]);
  assert.notEqual(new SipStreamFramer().push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n')).broken, null);
  assert.notEqual(new SipStreamFramer().push(Buffer.alloc(SIP_LIMITS.messageBytes + 1, 0x41)).broken, null);
});
