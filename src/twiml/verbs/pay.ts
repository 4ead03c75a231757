/**
 * `<Pay>`: takes a payment from the caller's keypad with no agent, on the same capture engine and connectors as the
 * Payments API. paytone asks for each field in turn (the `<Prompt>` that fits, or its own words in the `<Pay>`
 * language), retries a field up to `maxAttempts`, and sends the payment; then it POSTs the outcome to `action`
 * (`Result`, masked fields, confirmation code or token, errors), signed like every webhook, and the call goes on with
 * the TwiML it returns. Without an `action` (a document given as `Twiml`) the document goes on after `<Pay>`.
 * A session that cannot open (an unknown `paymentConnector`: 64004) is a notification on the call, and the action
 * hears `Result=validation-error`.
 *
 * @example
 *   <Response><Pay chargeAmount="12.50" action="https://shop.example/paid"/></Response>
 */
import { PaytoneError } from '../../domain/errors.js';
import { payInstruction, type PayInstruction } from '../pay/payInstruction.js';
import { runPayFlow } from '../pay/payFlow.js';
import type { PayDeskSession } from '../pay/payPorts.js';
import type { TwimlProblemCode } from '../problems.js';
import { NEXT, type Verb, type VerbOutcome, type VerbRun } from '../verb.js';

export const pay: Verb<PayInstruction> = {
  name: 'Pay',
  parse: payInstruction,
  answers: () => true,
  async run(instruction, run) {
    const services = run.pay;
    if (services === null) {
      throw new Error('<Pay> runs with the pay services: the interpreter was built without them');
    }
    let session: PayDeskSession;
    try {
      session = await services.desk.open(run.call, instruction.settings);
    } catch (err) {
      if (!(err instanceof PaytoneError)) throw err;
      const code: TwimlProblemCode = err.code === 64004 ? 64004 : 64020;
      await run.notify({ code, message: `<Pay> could not start: ${err.message}` });
      return outcome(instruction, { Result: 'validation-error', PayErrorCode: String(err.code), PaymentError: err.message });
    }
    try {
      const stopped = watchStop(run, session);
      const params = await runPayFlow(instruction, run, services, session);
      stopped.dispose();
      // Sent to other TwiML meanwhile (not hung up): the interpreter runs that instead, and the action is not asked.
      if (run.stop.aborted && !run.control.hungUp.aborted) return NEXT;
      return outcome(instruction, params);
    } finally {
      session.close();
    }
  },
};

function outcome(instruction: PayInstruction, params: Record<string, string>): VerbOutcome {
  if (instruction.action === null) return NEXT;
  // As with <Dial>, the outcome is posted even when the caller hung up (Result=caller-hung-up).
  return { kind: 'request', request: { ...instruction.action, params, evenIfHungUp: true } };
}

/** A redirect from the API while paying cancels the session, which ends the field being asked. */
function watchStop(run: VerbRun, session: PayDeskSession): { dispose(): void } {
  const cancel = () => {
    if (!run.control.hungUp.aborted) void session.cancel().catch(() => undefined);
  };
  run.stop.addEventListener('abort', cancel, { once: true });
  return { dispose: () => run.stop.removeEventListener('abort', cancel) };
}
