import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../support/fakeClock.js';
import { SipNetwork } from '../../support/sipNetwork.js';
import type { InboundLeg } from '../../../src/telephony/sip/inboundLeg.js';
import { SipHeaders } from '../../../src/telephony/sip/message.js';

const CALLER = '10.0.0.1:5060';
const PAYTONE = '10.0.0.2:5060';
const SDP_A = Buffer.from('v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n');
const SDP_B = Buffer.from('v=0\r\no=b 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\n');
const hop = { transport: 'udp' as const, address: '10.0.0.2', port: 5060 };

function setup(options: { trusted?: boolean } = {}) {
  const clock = new FakeClock();
  const net = new SipNetwork(clock);
  const legs: InboundLeg[] = [];
  const untrusted: string[] = [];
  const caller = net.agent('10.0.0.1', 5060);
  const paytone = net.agent('10.0.0.2', 5060, {
    isTrusted: () => options.trusted ?? true,
    onInvite: (leg) => legs.push(leg),
    onUntrusted: (request, source) => untrusted.push(`${request.method} ${source.address}`),
  });
  const call = () => caller.call({ target: 'sip:+15551230001@10.0.0.2', hop, from: '<sip:alice@10.0.0.1>', to: '<sip:+15551230001@10.0.0.2>', sdp: SDP_A });
  return { clock, net, legs, untrusted, caller, paytone, call };
}

test('an answered call: 100 at once, 180, 200 with SDP, ACK; the answer resolves on the ACK', async () => {
  const { net, legs, call } = setup();
  const out = call();
  const progress: number[] = [];
  out.onProgress = (status) => progress.push(status);
  await net.settle();
  assert.deepEqual(net.said(PAYTONE), ['100']);
  const leg = legs[0]!;
  assert.deepEqual(leg.offer, SDP_A);
  assert.equal(leg.invite.core.via[0]!.params.get('rport'), '5060', 'rport is filled in with the source port');
  leg.ring();
  const answered = leg.answer(SDP_B);
  await net.settle();
  const outcome = await out.outcome;
  assert.equal(outcome.status, 200);
  assert.deepEqual(outcome.sdp, SDP_B);
  await answered;
  assert.deepEqual(progress, [180]);
  assert.deepEqual(net.said(CALLER), ['INVITE', 'ACK']);
  assert.deepEqual(net.said(PAYTONE), ['100', '180', '200']);
  const ok = net.sent.find((s) => s.from === PAYTONE && s.message.kind === 'response' && s.message.status === 200)!.message;
  assert.match(ok.headers.get('contact')!, /^<sip:paytone@10\.0\.0\.2:5060>$/);
  assert.equal(ok.core.to.params.get('tag'), leg.localTag);
});

test('a 200 is resent from T1 doubling to T2 until the ACK; with no ACK by 64·T1 the call is reaped with a BYE', async () => {
  const { net, legs, call } = setup();
  call();
  await net.settle();
  net.drop = (message) => message.kind === 'request' && message.method === 'ACK';
  const leg = legs[0]!;
  const answered = leg.answer(SDP_B).catch((error: Error) => error.message);
  await net.advance(40_000);
  assert.deepEqual(net.times(PAYTONE, '200'), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  assert.equal(await answered, 'the caller never acknowledged the answer');
  assert.equal(await leg.ended, 'no-ack');
  assert.deepEqual(net.said(PAYTONE).filter((m) => m === 'BYE'), ['BYE']);
});

test('an INVITE resent over UDP gets the last response again and makes no second call', async () => {
  const { net, legs, call } = setup();
  net.drop = (message, from) => from === PAYTONE && message.kind === 'response';
  call();
  await net.settle();
  legs[0]!.ring();
  await net.advance(1600);
  assert.equal(legs.length, 1);
  assert.deepEqual(net.times(CALLER, 'INVITE'), [0, 500, 1500]);
  assert.deepEqual(net.said(PAYTONE), ['100', '180', '180', '180']);
});

test('a client INVITE with no answer is resent at 0.5, 1.5, 3.5 ... s and times out at 64·T1 as 408', async () => {
  const clock = new FakeClock();
  const net = new SipNetwork(clock);
  const caller = net.agent('10.0.0.1', 5060);
  const out = caller.call({ target: 'sip:x@10.9.9.9', hop: { transport: 'udp', address: '10.9.9.9', port: 5060 }, from: '<sip:a@10.0.0.1>', to: '<sip:x@10.9.9.9>', sdp: SDP_A });
  await net.advance(33_000);
  assert.deepEqual(net.times(CALLER, 'INVITE'), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.equal((await out.outcome).status, 408);
  assert.equal(await out.ended, 'failed');
  assert.equal(clock.pending, 0, 'no timer is left behind');
});

test('CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE, acknowledged; the caller sees 487', async () => {
  const { net, legs, call } = setup();
  const out = call();
  await net.settle();
  legs[0]!.ring();
  await net.settle();
  out.cancel();
  await net.settle();
  assert.equal(await legs[0]!.ended, 'canceled');
  assert.equal((await out.outcome).status, 487);
  assert.deepEqual(net.said(CALLER), ['INVITE', 'CANCEL', 'ACK']);
  assert.deepEqual(net.said(PAYTONE), ['100', '180', '200', '487']);
  const ack = net.sent.find((s) => s.from === CALLER && s.message.kind === 'request' && s.message.method === 'ACK')!.message;
  const invite = net.sent[0]!.message;
  assert.equal(ack.core.via[0]!.params.get('branch'), invite.core.via[0]!.params.get('branch'), 'the ACK of a non-2xx shares the INVITE branch');
});

test('a refusal (486) is resent on Timer G until its ACK, and the ACK ends the resending', async () => {
  const { net, legs, call } = setup();
  const out = call();
  await net.settle();
  net.drop = (message, from) => from === CALLER && message.kind === 'request' && message.method === 'ACK' && net.times(PAYTONE, '486').length < 3;
  legs[0]!.reject(486, 'Busy Here');
  await net.advance(5000);
  assert.equal((await out.outcome).status, 486);
  assert.deepEqual(net.times(PAYTONE, '486'), [0, 500, 1500]);
});

test('BYE from either side ends both legs; re-INVITE (hold) is answered from onOffer; INFO reaches onInfo', async () => {
  const { net, legs, call, caller } = setup();
  const out = call();
  await net.settle();
  await Promise.all([legs[0]!.answer(SDP_B), net.settle()]);
  await out.outcome;
  const leg = legs[0]!;
  const offers: string[] = [];
  leg.onOffer = (offer) => {
    offers.push(offer.toString());
    return Buffer.from(SDP_B.toString().replace('m=audio', 'a=recvonly\r\nm=audio'));
  };
  const infos: string[] = [];
  leg.onInfo = (type, body) => infos.push(`${type} ${body.toString()}`);
  const dialog = out.dialog!;
  const paytoneHop = await dialog.nextHop();
  const held = dialog.request('INVITE', paytoneHop, 'z9hG4bKhold', { type: 'application/sdp', bytes: Buffer.from(SDP_A.toString() + 'a=sendonly\r\n') });
  const reinvite = new Promise<number>((resolve) => caller.layer.sendRequest(held, paytoneHop, { response: (r) => r.status >= 200 && resolve(r.status), timeout: () => resolve(408) }));
  await net.settle();
  assert.equal(await reinvite, 200);
  assert.match(offers[0]!, /a=sendonly/);
  const info = dialog.request('INFO', paytoneHop, 'z9hG4bKinfo', { type: 'application/dtmf-relay', bytes: Buffer.from('Signal=5\r\nDuration=160\r\n') });
  caller.layer.sendRequest(info, paytoneHop, { response: () => undefined, timeout: () => undefined });
  await net.settle();
  assert.deepEqual(infos, ['application/dtmf-relay Signal=5\r\nDuration=160\r\n']);
  const hungUp = leg.hangUp();
  await net.settle();
  await hungUp;
  assert.equal(await leg.ended, 'hung-up-here');
  assert.equal(await out.ended, 'hung-up-there');
  const bye = net.sent.find((s) => s.from === PAYTONE && s.message.kind === 'request' && s.message.method === 'BYE')!.message;
  assert.equal(bye.kind === 'request' && bye.uri, 'sip:paytone@10.0.0.1:5060', 'BYE goes to the caller Contact');
  assert.equal(bye.core.from.params.get('tag'), leg.localTag);
});

test('Record-Route is honoured: in-dialog requests carry the route set and go to its first hop', async () => {
  const clock = new FakeClock();
  const net = new SipNetwork(clock);
  const proxy = '10.0.0.9';
  const caller = net.agent('10.0.0.1', 5060);
  const legs: InboundLeg[] = [];
  net.agent('10.0.0.2', 5060, { onInvite: (leg) => legs.push(leg) });
  const out = caller.call({ target: 'sip:b@10.0.0.2', hop, from: '<sip:a@10.0.0.1>', to: '<sip:b@10.0.0.2>', sdp: SDP_A });
  await net.settle();
  legs[0]!.invite.headers.set('record-route', `<sip:${proxy};lr>`, '<sip:10.0.0.8;lr>');
  void legs[0]!.answer(SDP_B).catch(() => undefined);
  await net.settle();
  const fromPaytone = legs[0]!.dialog!.request('BYE', await legs[0]!.dialog!.nextHop(), 'z9hG4bKx');
  assert.deepEqual(fromPaytone.headers.all('route'), [`<sip:${proxy};lr>`, '<sip:10.0.0.8;lr>']);
  assert.equal((await legs[0]!.dialog!.nextHop()).address, proxy);
  await out.outcome;
  const fromCaller = out.dialog!;
  assert.deepEqual(fromCaller.request('BYE', hop, 'z9hG4bKy').headers.all('route'), ['<sip:10.0.0.8;lr>', `<sip:${proxy};lr>`], 'the caller uses it reversed');
  const ack = net.sent.find((s) => s.from === CALLER && s.message.kind === 'request' && s.message.method === 'ACK')!;
  assert.equal(ack.to.address, '10.0.0.8', "the caller's ACK goes to its first route");
});

test('an untrusted source gets 403 and no call; OPTIONS from a trusted one gets 200 with Allow; strangers to a dialog get 481', async () => {
  const refused = setup({ trusted: false });
  refused.call();
  await refused.net.settle();
  assert.deepEqual(refused.net.said(PAYTONE), ['403']);
  assert.deepEqual(refused.untrusted, ['INVITE 10.0.0.1']);
  assert.equal(refused.legs.length, 0);

  const { net, caller, paytone } = setup();
  const headers = new SipHeaders()
    .set('via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKopt')
    .set('from', '<sip:probe@10.0.0.1>;tag=p1')
    .set('to', '<sip:10.0.0.2>')
    .set('call-id', 'probe-1')
    .set('cseq', '1 OPTIONS');
  caller.layer.sendRequest({ kind: 'request', method: 'OPTIONS', uri: 'sip:10.0.0.2', headers, body: Buffer.alloc(0) }, hop, { response: () => undefined, timeout: () => undefined });
  const bye = new SipHeaders().set('via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKbye').set('from', '<sip:a@10.0.0.1>;tag=a').set('to', '<sip:b@10.0.0.2>;tag=nope').set('call-id', 'gone').set('cseq', '2 BYE');
  caller.layer.sendRequest({ kind: 'request', method: 'BYE', uri: 'sip:b@10.0.0.2', headers: bye, body: Buffer.alloc(0) }, hop, { response: () => undefined, timeout: () => undefined });
  await net.settle();
  const answers = net.sent.filter((s) => s.from === PAYTONE).map((s) => s.message);
  const ok = answers.find((m) => m.core.cseqMethod === 'OPTIONS')!;
  assert.equal(ok.kind === 'response' && ok.status, 200);
  assert.equal(ok.headers.all('allow').join(', '), 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO');
  const unknown = answers.find((m) => m.core.cseqMethod === 'BYE')!;
  assert.equal(unknown.kind === 'response' && unknown.status, 481);
  assert.equal(paytone.openLegs, 0);
});

test('an untrusted flood gets 403 for its first requests and is then dropped, keeping state bounded', async () => {
  const { net, caller, paytone } = setup({ trusted: false });
  for (let i = 0; i < 100; i++) caller.call({ target: 'sip:+1@10.0.0.2', hop, from: '<sip:a@10.0.0.1>', to: '<sip:+1@10.0.0.2>', sdp: SDP_A });
  await net.settle();
  assert.equal(net.said(PAYTONE).length, 16);
  assert.equal(paytone.counts.dropped, 84);
  assert.equal(paytone.layer.openServerTransactions, 16);
  // The caller resends the dropped INVITEs until its Timer B; the last 403s wait Timer H (64·T1) for an ACK.
  await net.advance(70_000, 1000);
  assert.equal(paytone.layer.openServerTransactions, 0, 'Timers I and H free them');
});

test('a BYE with no answer is resent from T1 doubling up to T2 and given up at 64·T1', async () => {
  const { net, legs, call } = setup();
  const out = call();
  await net.settle();
  void legs[0]!.answer(SDP_B);
  await net.settle();
  await out.outcome;
  net.drop = (message, from) => from === PAYTONE && message.kind === 'response';
  const hungUp = out.hangUp();
  await net.settle();
  await net.advance(33_000);
  await hungUp;
  assert.deepEqual(net.times(CALLER, 'BYE'), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  assert.equal(await legs[0]!.ended, 'hung-up-there');
  assert.equal(await out.ended, 'hung-up-here');
});
