/**
 * The B2BUA against real peers from Debian (SIPp, baresip), with the call lifecycle, the TwiML runner and the
 * number directory played by this test: what is checked is paytone's SIP and RTP on the wire and what each party
 * hears. One call at a time; every peer runs under `timeout`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createLogger } from '../../src/log.js';
import { RealCalls } from '../../src/telephony/realCalls.js';
import { SipService } from '../../src/telephony/sipService.js';
import type { CallRecord, FinalCallStatus } from '../../src/domain/callView.js';
import type { CallControl, DialOutcome } from '../../src/twiml/callControl.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import { loadConfig } from '../../src/config.js';
import { testRtpPorts } from '../support/paytone.js';
import { until } from '../support/poll.js';
import { agent, caller } from '../support/sippScenarios.js';
import { framesHeard, peersOrSkip, readWav, RtpEndpoint, scratchDir, startBaresipAgent, startSipp, testSignal, writeWav } from '../support/sipPeers.js';

import { TimedVoice } from '../../src/telephony/prompts/timedVoice.js';
import { PlayFiles } from '../../src/telephony/prompts/playFiles.js';
import { systemClock } from '../../src/twiml/clock.js';
import { ANY_CALLBACK } from '../../src/domain/callbackPolicy.js';

const skip = peersOrSkip();
const voice = new TimedVoice({ clock: systemClock, files: new PlayFiles({ policy: ANY_CALLBACK, timeoutMs: 5000 }) });
const NUMBER = '+15551230001';

interface Moves {
  calls: Array<{ sid: string; kind: string; to: string; from: string }>;
  log: string[];
}

let sip: SipService;
let calls: RealCalls;
const moves: Moves = { calls: [], log: [] };
const audits: AuditEntry[] = [];
let script: (call: CallRecord, control: CallControl) => Promise<void> = async () => undefined;
const outcomes: DialOutcome[] = [];

function record(sid: string, to: string, from: string): CallRecord {
  return { sid, accountSid: 'AC' + '1'.repeat(32), to, from } as CallRecord;
}

before(async () => {
  if (skip) return;
  const settings = { ...loadConfig({}).sip!, listen: { host: '127.0.0.1', port: 0 }, rtpPorts: rangeOf(testRtpPorts()) };
  sip = (await SipService.start(settings, createLogger({ level: 'silent' })))!;
  let n = 0;
  calls = new RealCalls({
    sip,
    trunk: null,
    log: createLogger({ level: 'silent' }),
    phoneNumbers: { findByNumber: async (phoneNumber) => (phoneNumber === NUMBER ? { sid: 'PN1', accountSid: 'AC' + '1'.repeat(32), phoneNumber } : null) },
    auditLog: { append: async (entry) => void audits.push(entry) },
    runner: { run: (call, control) => script(call, control) },
    voices: () => voice,
    lifecycle: {
      async inbound(a) {
        const sid = `CA-in-${++n}`;
        moves.calls.push({ sid, kind: 'inbound', to: a.to, from: a.from });
        moves.log.push(`${sid} ringing`);
        return record(sid, a.to, a.from);
      },
      async child(a) {
        const sid = `CA-child-${++n}`;
        moves.calls.push({ sid, kind: `child of ${a.parentCallSid}`, to: a.to, from: a.from });
        moves.log.push(`${sid} queued`);
        return record(sid, a.to, a.from);
      },
      async ringing(sid) {
        moves.log.push(`${sid} ringing`);
      },
      async answered(sid) {
        moves.log.push(`${sid} answered`);
      },
      async ended(sid, status: FinalCallStatus) {
        moves.log.push(`${sid} ${status}`);
      },
    },
  });
  sip.serve(calls);
});

after(async () => {
  await sip?.close();
});

function rangeOf(text: string): { first: number; last: number } {
  const [first, last] = text.split('-').map(Number);
  return { first: first!, last: last! };
}

function reset(next: typeof script): void {
  moves.calls.length = 0;
  moves.log.length = 0;
  outcomes.length = 0;
  script = next;
}

const dialAgent = (uri: string, timeoutSeconds = 10) => async (_call: CallRecord, control: CallControl) => {
  outcomes.push(await control.dial([{ kind: 'sip', uri }], { timeoutSeconds, callerId: null }));
};

test('a caller reaches a baresip agent through paytone: each hears the other, sample for sample', { skip }, async () => {
  const dir = scratchDir();
  const callerAudio = testSignal(4, 1);
  const agentAudio = testSignal(4, 2);
  // baresip hangs up when its file ends: the signal, then silence past the end of the call.
  const padded = new Int16Array(8000 * 15);
  padded.set(agentAudio.samples);
  writeWav(path.join(dir, 'agent.wav'), padded);
  const baresip = await startBaresipAgent(path.join(dir, 'agent.wav'));
  const endpoint = await RtpEndpoint.open(callerAudio.mulaw);
  try {
    reset(dialAgent(`sip:agent@127.0.0.1:${baresip.port}`));
    const sipp = await startSipp(caller({ mediaPort: endpoint.port, then: 'hang-up', holdMs: 6000 }), { target: sip.transport.port, service: NUMBER });
    const run = await sipp.done;
    assert.equal(run.code, 0, run.log);
    await until('the agent to be hung up', async () => moves.log.some((m) => /child.* completed/.test(m)));
    await baresip.stop();
    const heardByAgent = readWav(baresip.heardFile()!);
    // Two seconds from the middle (each side's first moments come before the bridge is up), frame by frame.
    const agentHeard = framesHeard(heardByAgent, callerAudio.samples.subarray(8_000, 24_000));
    // baresip's adaptive jitter buffer drops a frame now and then (96% measured here; paytone's own output to an
    // RTP recorder of ours carries 100%, as the agent-hangs-up test checks).
    assert.ok(agentHeard >= 0.9, `the agent heard ${(agentHeard * 100).toFixed(1)}% of the caller's frames sample for sample`);
    const callerHeard = framesHeard(endpoint.heard(), agentAudio.samples.subarray(8_000, 24_000));
    assert.ok(callerHeard >= 0.95, `the caller heard ${(callerHeard * 100).toFixed(1)}% of the agent's frames sample for sample`);
    assert.equal(outcomes[0]!.status, 'completed');
    assert.deepEqual(moves.log.map((m) => m.replace(/CA-(in|child)-\d+/, '$1')), ['in ringing', 'in answered', 'child queued', 'child ringing', 'child answered', 'in completed', 'child completed']);
  } finally {
    endpoint.close();
    await baresip.stop();
  }
});

test('the agent hangs up first: its BYE ends the bridge and paytone sends BYE to the caller', { skip }, async () => {
  const signal = testSignal(1);
  const media = await RtpEndpoint.open(signal.mulaw);
  const agentMedia = await RtpEndpoint.open(new Uint8Array(0));
  try {
    const agentSipp = await startSipp(agent({ mediaPort: agentMedia.port, then: 'answer-then-bye', holdMs: 3000 }), {});
    reset(dialAgent(`sip:agent@127.0.0.1:${agentSipp.localPort}`));
    const callerSipp = await startSipp(caller({ mediaPort: media.port, then: 'wait-bye' }), { target: sip.transport.port, service: NUMBER });
    const [a, c] = await Promise.all([agentSipp.done, callerSipp.done]);
    assert.equal(a.code, 0, a.log);
    assert.equal(c.code, 0, c.log);
    assert.equal(outcomes[0]!.status, 'completed');
    // What paytone sent the agent, recorded by our own endpoint (no jitter buffer): the caller's audio, every frame
    // after the first 200 ms (before the bridge was up).
    const heard = framesHeard(agentMedia.heard(), signal.samples.subarray(1600));
    assert.ok(heard >= 0.95, `the agent leg carried ${(heard * 100).toFixed(1)}% of the caller's frames sample for sample`);
  } finally {
    media.close();
    agentMedia.close();
  }
});

test('busy, no answer, CANCEL before the answer, hold, no G.711, no such number', { skip }, async () => {
  const media = await RtpEndpoint.open(testSignal(1).mulaw);
  try {
    const busy = await startSipp(agent({ then: 'busy' }), {});
    reset(dialAgent(`sip:agent@127.0.0.1:${busy.localPort}`));
    let run = await (await startSipp(caller({ mediaPort: media.port, then: 'wait-bye' }), { target: sip.transport.port, service: NUMBER })).done;
    assert.equal(run.code, 0, run.log);
    assert.equal((await busy.done).code, 0);
    assert.equal(outcomes[0]!.status, 'busy');
    assert.ok(moves.log.some((m) => /child-\d+ busy$/.test(m)), moves.log.join(', '));

    const ringing = await startSipp(agent({ then: 'ring' }), {});
    reset(dialAgent(`sip:agent@127.0.0.1:${ringing.localPort}`, 2));
    run = await (await startSipp(caller({ mediaPort: media.port, then: 'wait-bye' }), { target: sip.transport.port, service: NUMBER })).done;
    assert.equal(run.code, 0, run.log);
    assert.equal((await ringing.done).code, 0, 'the agent got CANCEL after the timeout');
    assert.equal(outcomes[0]!.status, 'no-answer');

    const slow = await startSipp(agent({ then: 'ring' }), {});
    reset(async (_call, control) => {
      outcomes.push(await control.dial([{ kind: 'sip', uri: `sip:agent@127.0.0.1:${slow.localPort}` }], { timeoutSeconds: 20, callerId: null, answerOnBridge: true }));
    });
    run = await (await startSipp(caller({ mediaPort: media.port, then: 'cancel' }), { target: sip.transport.port, service: NUMBER })).done;
    assert.equal(run.code, 0, run.log);
    assert.equal((await slow.done).code, 0, 'the agent leg was canceled when the caller canceled');
    await until('the caller to end canceled', async () => moves.log.some((m) => /in-\d+ canceled/.test(m)));

    const held = await startSipp(agent({ then: 'answer', mediaPort: 9 }), {});
    reset(dialAgent(`sip:agent@127.0.0.1:${held.localPort}`));
    run = await (await startSipp(caller({ mediaPort: media.port, then: 'hold', holdMs: 500 }), { target: sip.transport.port, service: NUMBER })).done;
    assert.equal(run.code, 0, `the re-INVITE got 200 with a=recvonly\n${run.log}`);
    assert.equal((await held.done).code, 0, 'the agent was hung up after the caller');

    reset(async () => assert.fail('no call should run'));
    run = await (await startSipp(caller({ mediaPort: media.port, formats: '18', then: 'refused:488' }), { target: sip.transport.port, service: NUMBER })).done;
    assert.equal(run.code, 0, run.log);
    run = await (await startSipp(caller({ mediaPort: media.port, then: 'refused:404' }), { target: sip.transport.port, service: '+15550000000' })).done;
    assert.equal(run.code, 0, run.log);
    assert.deepEqual(moves.calls, [], 'neither made a call');
  } finally {
    media.close();
  }
});

test('over TCP: the INVITE, the answer and the BYE share one connection; the agent is still called over UDP', { skip }, async () => {
  const media = await RtpEndpoint.open(testSignal(1).mulaw);
  try {
    const agentSipp = await startSipp(agent({ then: 'answer', mediaPort: 9 }), {});
    reset(dialAgent(`sip:agent@127.0.0.1:${agentSipp.localPort}`));
    const run = await (await startSipp(caller({ mediaPort: media.port, then: 'hang-up', holdMs: 500 }), { target: sip.transport.port, service: NUMBER, tcp: true })).done;
    assert.equal(run.code, 0, run.log);
    assert.equal((await agentSipp.done).code, 0, 'the agent was hung up after the caller');
    assert.equal(outcomes[0]!.status, 'completed');
  } finally {
    media.close();
  }
});

test('an untrusted source gets 403, no call, and one audit entry on the account of the number it called', { skip }, async () => {
  const settings = { ...loadConfig({}).sip!, listen: { host: '127.0.0.1', port: 0 }, trust: ['10.0.0.0/8'], rtpPorts: rangeOf(testRtpPorts()) };
  const guarded = (await SipService.start(settings, createLogger({ level: 'silent' })))!;
  const refused: AuditEntry[] = [];
  guarded.serve(
    new RealCalls({
      sip: guarded,
      trunk: null,
      log: createLogger({ level: 'silent' }),
      phoneNumbers: { findByNumber: async (phoneNumber) => (phoneNumber === NUMBER ? { sid: 'PN1', accountSid: 'AC' + '1'.repeat(32), phoneNumber } : null) },
      auditLog: { append: async (entry) => void refused.push(entry) },
      runner: { run: async () => assert.fail('no call runs') },
      voices: () => voice,
      lifecycle: { inbound: async () => assert.fail('no call is made'), child: async () => assert.fail(), ringing: async () => undefined, answered: async () => undefined, ended: async () => undefined },
    }),
  );
  try {
    for (let i = 0; i < 2; i++) {
      const run = await (await startSipp(caller({ mediaPort: 9, then: 'refused:403' }), { target: guarded.transport.port, service: NUMBER })).done;
      assert.equal(run.code, 0, run.log);
    }
    await until('the refusal to be audited', async () => refused.length > 0);
    assert.equal(refused.length, 1, 'one entry per source a minute, not one per INVITE');
    assert.deepEqual(
      { action: refused[0]!.action, sourceIp: refused[0]!.sourceIp, statusCode: refused[0]!.statusCode, accountSid: refused[0]!.accountSid, parameters: refused[0]!.parameters },
      { action: 'sip.invite.refused', sourceIp: '127.0.0.1', statusCode: 403, accountSid: 'AC' + '1'.repeat(32), parameters: { From: '+15559870000', To: NUMBER } },
    );
  } finally {
    await guarded.close();
  }
});
