/**
 * What an operator sees of real calls' keypads: per call, keys by transport, the same key again, masked keys and
 * the detector's rejections, while the call is up and after it ended; and in Prometheus, keys by transport,
 * detection latency and masked spans as histograms. Never a key, in any of them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../../../src/log.js';
import { CallerKeys } from '../../../src/telephony/callerKeys.js';
import { CallKeypads } from '../../../src/telephony/keypad/callKeypads.js';
import { KeypadMetrics } from '../../../src/ops/keypadMetrics.js';
import { throughStages } from '../../../src/telephony/media/frames.js';
import { newRtpView, readRtp, writeRtpHeader } from '../../../src/telephony/media/rtp.js';
import { keyTones } from '../../support/dtmfSignals.js';

const CA = 'CA' + '2'.repeat(32);
const OTHER = 'CA' + '3'.repeat(32);

function keypads(kept?: number) {
  const typed: string[] = [];
  const keys = new CallerKeys({
    sessions: {
      async keypress(_callSid, digits) {
        typed.push(digits);
        return true;
      },
    },
    log: createLogger({ level: 'silent' }),
  });
  const registry = new Registry();
  const all = new CallKeypads({ keys, observer: new KeypadMetrics(registry), kept });
  return { all, registry, typed };
}

/** A call's audio as the caller's RTP carries it: 20 ms frames on one timeline, and RFC 4733 packets on it. */
function caller(tap: ReturnType<CallKeypads['open']>) {
  const audio = throughStages(tap.stages, { write: () => undefined });
  let mediaTime = 80_000;
  const play = (samples: Int16Array) => {
    for (let at = 0; at + 160 <= samples.length; at += 160) {
      audio.write(samples.subarray(at, at + 160), mediaTime);
      mediaTime = (mediaTime + 160) >>> 0;
    }
  };
  const view = newRtpView();
  const event = (key: number, duration: number, end: boolean, marker: boolean, timestamp = mediaTime) => {
    const p = Buffer.alloc(16);
    writeRtpHeader(p, marker, 101, 7, timestamp, 0x0badcafe);
    p[12] = key;
    p[13] = end ? 0x8a : 0x0a;
    p.writeUInt16BE(duration, 14);
    readRtp(p, view);
    tap.telephoneEvent!(view, p);
  };
  return { play, event, now: () => mediaTime };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("real calls' keypad counts and metrics", () => {
  it('counts each key by its transport, the same key again, rejections and masked keys, and keeps them after the call', async () => {
    const { all, registry, typed } = keypads();
    const tap = all.open(CA);
    const call = caller(tap);
    // '5' by tones only; '7' by an event and its tone together (one key); '9' by SIP INFO; a 20 ms blip of '1'.
    call.play(keyTones('5', { toneMs: 80, gapMs: 80 }).samples);
    const at = call.now();
    call.event(7, 0, false, true, at);
    call.play(keyTones('7', { toneMs: 80, gapMs: 80, leadMs: 0 }).samples);
    call.event(7, 640, true, false, at);
    tap.info!('application/dtmf-relay', Buffer.from('Signal=9\r\nDuration=160\r\n'));
    call.play(keyTones('1', { toneMs: 20, gapMs: 100 }).samples);
    await settle();
    assert.equal(typed.join(''), '579');

    // With no masking rules every key is masked: three keys, the rejected blip none.
    assert.deepEqual(all.countsOf(CA), { live: true, counts: { rfc4733: 1, sipInfo: 1, inBand: 1, sameKeyAgain: 1, rejected: 1, masked: 3 } });

    tap.close!();
    assert.deepEqual(all.countsOf(CA), { live: false, counts: { rfc4733: 1, sipInfo: 1, inBand: 1, sameKeyAgain: 1, rejected: 1, masked: 3 } });
    assert.equal(all.countsOf(OTHER), null);

    const text = await registry.metrics();
    for (const line of [
      'paytone_dtmf_keys_total{transport="rfc4733"} 1',
      'paytone_dtmf_keys_total{transport="sip-info"} 1',
      'paytone_dtmf_keys_total{transport="in-band"} 1',
      'paytone_dtmf_repeated_reports_total 1',
      'paytone_dtmf_detector_rejections_total 1',
      'paytone_dtmf_masked_span_seconds_count 3',
      'paytone_dtmf_detection_seconds_count{transport="in-band"} 1',
    ]) {
      assert.ok(text.includes(line), `the metrics have ${line}`);
    }
    // Each masked span covers its key's 80-160 ms and a little around it; the in-band key was known two blocks
    // (25.5 ms) and at most a frame after it began.
    assert.ok(text.includes('paytone_dtmf_masked_span_seconds_bucket{le="0.05"} 0') && text.includes('paytone_dtmf_masked_span_seconds_bucket{le="0.5"} 3'));
    assert.ok(text.includes('paytone_dtmf_detection_seconds_bucket{le="0.02",transport="in-band"} 0'));
    assert.ok(text.includes('paytone_dtmf_detection_seconds_bucket{le="0.05",transport="in-band"} 1'));
    assert.doesNotMatch(text.replace(/^#.*$/gm, ''), /key="|digit/, 'no label carries a key');
  });

  it('keeps the counts of the last ended calls only', () => {
    const { all } = keypads(2);
    const sids = ['4', '5', '6'].map((d) => 'CA' + d.repeat(32));
    for (const sid of sids) all.open(sid).close!();
    assert.equal(all.countsOf(sids[0]!), null);
    assert.equal(all.countsOf(sids[2]!)!.live, false);
  });
});
