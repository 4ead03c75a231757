import { test } from 'node:test';
import assert from 'node:assert/strict';
import sdpTransform from 'sdp-transform';
import { answerOffer, makeOffer, readAnswer } from '../../../src/telephony/media/sdp.js';
import { parseSipMessage } from '../../../src/telephony/sip/message.js';
import { sipFixture as fixture } from '../../support/sipFixtures.js';

const local = { address: '192.0.2.10', port: 20000 };

function body(name: string): string {
  const parsed = parseSipMessage(fixture(name));
  assert.ok(parsed.ok);
  return parsed.message.body.toString();
}

/** linphone's offer shape: Opus and speex first, G.711 later, telephone-event at three rates. */
const LINPHONE = [
  'v=0',
  'o=caller 1794 2931 IN IP4 127.0.0.1',
  's=Talk',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 7078 RTP/AVP 96 97 98 0 8 101 99 100',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 useinbandfec=1',
  'a=rtpmap:97 speex/16000',
  'a=rtpmap:98 speex/8000',
  'a=rtpmap:101 telephone-event/48000',
  'a=rtpmap:99 telephone-event/16000',
  'a=rtpmap:100 telephone-event/8000',
  '',
].join('\r\n');

test("SIPp's offer (PCMU only): answered PCMU, no telephone-event, ptime 20, our address and port", () => {
  const answered = answerOffer(body('sipp-invite.sip'), local, 1);
  assert.ok(answered.ok);
  assert.deepEqual(answered.media, { remote: { address: '127.0.0.1', port: 6000 }, codec: 'PCMU', payloadType: 0, telephoneEvent: null, direction: 'sendrecv' });
  const sdp = sdpTransform.parse(answered.sdp);
  assert.equal(sdp.connection?.ip, '192.0.2.10');
  assert.equal(sdp.media[0]!.port, 20000);
  assert.equal(String(sdp.media[0]!.payloads), '0');
  assert.equal(sdp.media[0]!.ptime, 20);
});

test("baresip's offer (0 8 101): answered PCMU with telephone-event on the caller's payload type 101", () => {
  const answered = answerOffer(body('baresip-invite.sip'), local, 1);
  assert.ok(answered.ok);
  assert.equal(answered.media.codec, 'PCMU');
  assert.equal(answered.media.telephoneEvent, 101);
  assert.match(answered.sdp, /m=audio 20000 RTP\/AVP 0 101\r\n/);
  assert.match(answered.sdp, /a=rtpmap:101 telephone-event\/8000\r\na=fmtp:101 0-16\r\n/);
});

test('linphone-style offer: PCMU picked past Opus and speex; telephone-event at 16000 and 48000 ignored, 8000 taken', () => {
  const answered = answerOffer(LINPHONE, local, 1);
  assert.ok(answered.ok);
  assert.equal(answered.media.payloadType, 0);
  assert.equal(answered.media.telephoneEvent, 100);
  assert.match(answered.sdp, /m=audio 20000 RTP\/AVP 0 100\r\n/);
});

test('PCMA first in the offer is PCMA in the answer; the caller SIPp DTMF scenario offers 0 96', () => {
  const pcma = answerOffer(LINPHONE.replace('96 97 98 0 8', '8 0'), local, 1);
  assert.ok(pcma.ok);
  assert.equal(pcma.media.codec, 'PCMA');
  const sipp = answerOffer('v=0\r\no=user1 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 96\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:96 telephone-event/8000\r\n', local, 1);
  assert.ok(sipp.ok);
  assert.equal(sipp.media.telephoneEvent, 96);
});

test('no G.711, SRTP only, no audio, or unreadable: no answer, with the reason (the call gets 488)', () => {
  const cases = [
    LINPHONE.replace('96 97 98 0 8 101 99 100', '96 97 98'),
    body('sipp-invite.sip').replace('RTP/AVP', 'RTP/SAVP'),
    body('sipp-invite.sip').replace('m=audio 6000', 'm=video 6000'),
    body('sipp-invite.sip').replace('m=audio 6000', 'm=audio 0'),
    body('sipp-invite.sip').replace(/c=IN IP4 127\.0\.0\.1\r\n/, ''),
    '',
  ];
  for (const offer of cases) {
    const answered = answerOffer(offer, local, 1);
    assert.equal(answered.ok, false, offer);
    if (!answered.ok) assert.ok(answered.problem.length > 10);
  }
});

test('hold: sendonly is answered recvonly, inactive inactive, c=0.0.0.0 stops our sending', () => {
  const offer = body('baresip-invite.sip');
  const sendonly = answerOffer(offer.replace('a=sendrecv', 'a=sendonly'), local, 2);
  assert.ok(sendonly.ok);
  assert.equal(sendonly.media.direction, 'recvonly');
  assert.match(sendonly.sdp, /a=recvonly/);
  assert.match(sendonly.sdp, /o=paytone 20000 2 IN IP4/);
  const inactive = answerOffer(offer.replace('a=sendrecv', 'a=inactive'), local, 2);
  assert.ok(inactive.ok);
  assert.equal(inactive.media.direction, 'inactive');
  const old = answerOffer(offer.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0'), local, 2);
  assert.ok(old.ok);
  assert.equal(old.media.direction, 'recvonly');
});

test("the agent's offer lists PCMU and PCMA and never telephone-event; its answer is read back", () => {
  const offer = makeOffer(local, 1, { events: false });
  const parsed = sdpTransform.parse(offer);
  assert.equal(String(parsed.media[0]!.payloads), '0 8');
  assert.doesNotMatch(offer, /telephone-event/);
  const agent = answerOffer(offer, { address: '127.0.0.1', port: 7000 }, 1);
  assert.ok(agent.ok);
  const read = readAnswer(agent.sdp, false);
  assert.ok(read.ok);
  assert.deepEqual(read.media, { remote: { address: '127.0.0.1', port: 7000 }, codec: 'PCMU', payloadType: 0, telephoneEvent: null, direction: 'sendrecv' });
  assert.match(makeOffer(local, 1, { events: true }), /m=audio 20000 RTP\/AVP 0 8 101\r\n/);
});
