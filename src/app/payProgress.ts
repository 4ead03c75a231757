/**
 * Sends `<Pay>`'s statusCallback requests the way every voice webhook is sent (signed with the account's auth token,
 * within the callback policy, with a time limit), once each, in the order the flow made them. An app that does not
 * answer 2xx is noted in the log; the payment goes on, as it does on Twilio.
 *
 * @example
 *   const progress = payProgressSender(voiceWebhook, log);
 *   await progress(call, { url: 'https://shop.example/pay-status', method: 'POST' }, { For: 'expiration-date', Attempt: '1' });
 */
import type { VoiceWebhook } from '../callbacks/voiceWebhook.js';
import type { Logger } from '../log.js';
import type { PayProgressSender } from '../twiml/pay/payPorts.js';

export function payProgressSender(webhook: Pick<VoiceWebhook, 'fetch'>, log: Logger): PayProgressSender {
  return async (call, target, params) => {
    const answer = await webhook.fetch(call.accountSid, { ...target, params });
    // Any 2xx is taken: the answer is not TwiML and is not read. PCI: the step and the code, never the fields.
    const status = answer.ok ? 200 : answer.request.response?.status;
    if (status === undefined || status < 200 || status >= 300) {
      log.warn({ callSid: call.sid, for: params.For, code: answer.ok ? null : answer.problem.code }, '<Pay> statusCallback was not taken');
    }
  };
}
