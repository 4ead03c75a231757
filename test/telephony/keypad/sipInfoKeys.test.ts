import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readInfoKey } from '../../../src/telephony/keypad/sipInfoKeys.js';

const read = (type: string, body: string) => readInfoKey(type, Buffer.from(body));

describe('SIP INFO keys', () => {
  it('reads application/dtmf-relay as linphone and most PBXs send it', () => {
    assert.deepEqual(read('application/dtmf-relay', 'Signal=4\r\nDuration=250\r\n'), { key: '4', durationMs: 250 });
    assert.deepEqual(read('Application/DTMF-Relay; charset=x', 'signal= #\nduration=100'), { key: '#', durationMs: 100 });
    assert.deepEqual(read('application/dtmf-relay', 'Signal=*'), { key: '*', durationMs: 250 });
    assert.deepEqual(read('application/dtmf-relay', 'Signal=11\r\nDuration=90000'), { key: '#', durationMs: 2000 });
  });

  it('reads application/dtmf: the key alone', () => {
    assert.deepEqual(read('application/dtmf', '7\r\n'), { key: '7', durationMs: 250 });
    assert.deepEqual(read('application/dtmf', '10'), { key: '*', durationMs: 250 });
  });

  it('anything else is no key', () => {
    for (const [type, body] of [
      ['application/dtmf-relay', 'Signal=A'],
      ['application/dtmf-relay', 'Signal=42'],
      ['application/dtmf-relay', 'Duration=100'],
      ['application/dtmf', ''],
      ['application/dtmf', '12'],
      ['application/media_control+xml', '<media_control/>'],
      ['', '5'],
      ['application/dtmf', '5'.repeat(600)],
    ] as const) {
      assert.equal(read(type, body), null, `${type} ${body.slice(0, 20)}`);
    }
  });
});
