/**
 * Call records for unit tests: an answered outbound-api call with nothing else set, changed by what a test names.
 *
 * @example
 *   const ringing = callRecord({ status: 'ringing', direction: 'inbound', answerTime: null });
 */
import type { CallRecord } from '../../src/domain/callView.js';

export const TEST_ACCOUNT_SID = 'AC' + 'a'.repeat(32);
export const TEST_CALL_SID = 'CA' + 'b'.repeat(32);
const PLACED_AT = Date.UTC(2026, 10, 21, 20, 0, 0);

export function callRecord(changes: Partial<CallRecord> = {}): CallRecord {
  return {
    sid: TEST_CALL_SID,
    accountSid: TEST_ACCOUNT_SID,
    to: '+15551230001',
    from: '+15559870002',
    status: 'in-progress',
    direction: 'outbound-api',
    parentCallSid: null,
    phoneNumberSid: null,
    url: null,
    method: 'POST',
    fallbackUrl: null,
    fallbackMethod: 'POST',
    twiml: null,
    statusCallback: null,
    statusCallbackMethod: 'POST',
    statusCallbackEvents: ['completed'],
    timeoutSeconds: null,
    sipCallId: null,
    sipSourceIp: null,
    callbacksSent: 0,
    dateCreated: PLACED_AT,
    dateUpdated: PLACED_AT,
    startTime: PLACED_AT,
    answerTime: PLACED_AT,
    endTime: null,
    ...changes,
  };
}
