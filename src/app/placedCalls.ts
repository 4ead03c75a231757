/**
 * Where `POST /Calls.json` sends a call, and how `Status=completed|canceled` ends one. A call to a SIP URI, or to
 * a number when a SIP trunk is set, is a real call: stored `queued` (its `initiated` moment) and handed to the SIP
 * side's `OutboundDialer`, which reports its progress through the call lifecycle. Any other call is a sandbox call,
 * answered at once, as it always was (it runs its Url or Twiml too; the policy is asked when its Url is requested). A hang-up reaches the legs of a real call this process holds, or ends a
 * sandbox call.
 *
 * @example
 *   const calls = new PlacedCalls({ telephony, progress, dialer: () => app.outboundDialer });
 *   const call = await calls.place(accountSid, parseCreateCall(form, policy)); // 'queued' or 'in-progress'
 */
import { payError } from '../domain/errors.js';
import type { CallbackPolicy } from '../domain/callbackPolicy.js';
import { webhookUrl } from '../domain/webhookParams.js';
import type { CreateCallParams } from '../domain/callParams.js';
import { isFinalStatus, isSandboxCall, type CallRecord } from '../domain/callView.js';
import type { CallStore } from '../store/calls.js';
import type { SandboxTelephony } from '../telephony/sandboxCalls.js';
import type { OutboundDialer } from '../telephony/callPorts.js';
import type { CallProgress } from './callProgress.js';

export class PlacedCalls {
  constructor(
    private readonly deps: {
      telephony: SandboxTelephony;
      progress: CallProgress;
      calls: CallStore;
      /** Where paytone may send requests: a real call's Url and FallbackUrl are requested. */
      policy: CallbackPolicy;
      /** The SIP side's dialer, or null while SIP is off. */
      dialer(): OutboundDialer | null;
    },
  ) {}

  async place(accountSid: string, call: CreateCallParams): Promise<CallRecord> {
    const dialer = this.deps.dialer();
    const real = call.endpoint.kind === 'sip' || dialer?.dialsNumbers === true;
    if (!real) return this.deps.telephony.placeCall(accountSid, call);
    if (dialer === null) {
      throw payError(21211, `To ${call.to} is a SIP URI, but SIP is off on this paytone (PAYTONE_SIP_LISTEN=off): call a number for a sandbox call, or turn SIP on.`);
    }
    if (call.url === null && call.twiml === null) {
      throw payError(21205, 'A real call needs Url or Twiml: the TwiML it runs once answered.');
    }
    for (const [name, url] of [['Url', call.url], ['FallbackUrl', call.fallbackUrl]] as const) if (url !== null) webhookUrl(name, url, this.deps.policy);
    const placed = await this.deps.progress.place({
      accountSid,
      to: call.to,
      from: call.from,
      status: 'queued',
      direction: 'outbound-api',
      parentCallSid: null,
      phoneNumberSid: null,
      url: call.url,
      method: call.method,
      fallbackUrl: call.fallbackUrl,
      fallbackMethod: call.fallbackMethod,
      twiml: call.twiml,
      statusCallback: call.statusCallback,
      statusCallbackMethod: call.statusCallbackMethod,
      statusCallbackEvents: call.statusCallbackEvents,
      timeoutSeconds: call.timeoutSeconds,
      sipCallId: null,
      sipSourceIp: null,
    });
    dialer.place(placed, { timeoutSeconds: call.timeoutSeconds });
    return placed;
  }

  /**
   * Ends a call: a real one through the SIP side (the call as the lifecycle left it once the legs are down), a
   * sandbox one at once. A call that has ended already is returned as it is.
   */
  async hangUp(call: CallRecord, status: 'completed' | 'canceled'): Promise<CallRecord> {
    if (isFinalStatus(call.status)) return call;
    const dialer = this.deps.dialer();
    if (dialer !== null && (await dialer.hangUp(call.sid))) return (await this.deps.calls.getBySid(call.sid)) ?? call;
    if (isSandboxCall(call)) return this.deps.telephony.hangUp(call, status);
    // A real call whose legs this process does not hold: they went with the process that held them, so it ends here.
    return this.deps.progress.end(call, call.status === 'in-progress' ? 'completed' : 'canceled');
  }
}
