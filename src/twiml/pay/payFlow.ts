/**
 * The `<Pay>` flow Twilio's callers know: each field asked in turn with its prompt, a failed field asked again up to
 * `maxAttempts` tries, a field typed twice where a `<Prompt requireMatchingInputs>` asks for it (the step starts over
 * when the two differ), then the payment sent to the connector. `*` and a hang-up end it at once (the session's own
 * rules). The outcome is the parameters posted to `action`: `Result`, the masked fields, and the connector's answer.
 *
 * Digits never pass through here: the flow sees what the status callbacks see (masked values, error types).
 *
 * @example
 *   const params = await runPayFlow(instruction, run, services); // { Result: 'success', PaymentCardNumber: 'xxxx-xxxx-xxxx-4242', ... }
 */
import { matcherOf } from '../../domain/fieldRules.js';
import { CARD_TYPES, type CaptureName, type CardType, type ErrorType } from '../../domain/types.js';
import { speak } from '../speech.js';
import type { VerbRun } from '../verb.js';
import type { PayDeskSession, PayServices } from './payPorts.js';
import type { PayInstruction } from './payInstruction.js';
import { promptNouns, type PromptMoment } from './prompts.js';
import type { PromptErrorType, PromptStep } from './defaultPrompts.js';

/** The masked fields the action and the status callbacks carry, as the session's callbacks name them. */
const MASKED_FIELDS = ['PaymentCardNumber', 'PaymentCardType', 'ExpirationDate', 'SecurityCode', 'PaymentCardPostalCode', 'BankRoutingNumber', 'BankAccountNumber'];
/** The session's final parameters that the action carries, besides the connector's own (`PayConnector_<key>`). */
const OUTCOME_FIELDS = ['Result', 'PaymentConfirmationCode', 'PaymentToken', 'ProfileId', 'PaymentError', 'PayErrorCode', 'ConnectorError'];

/** Runs the flow on an open session; the action's parameters. */
export async function runPayFlow(instruction: PayInstruction, run: VerbRun, services: PayServices, session: PayDeskSession): Promise<Record<string, string>> {
  const flow = new PayFlow(instruction, run, services, session);
  const params = await flow.pay();
  await flow.progressSent();
  return params;
}

class PayFlow {
  private readonly masked: Record<string, string> = {};
  private progressChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly instruction: PayInstruction,
    private readonly run: VerbRun,
    private readonly services: PayServices,
    private readonly session: PayDeskSession,
  ) {
    if (instruction.postalCodeLiteral !== null) this.masked.PaymentCardPostalCode = instruction.postalCodeLiteral;
  }

  progressSent(): Promise<void> {
    return this.progressChain;
  }

  async pay(): Promise<Record<string, string>> {
    for (const field of this.fields()) {
      const failed = await this.askUntilAccepted(field);
      if (failed !== null) return failed;
    }
    const processing = this.speak({ step: 'payment-processing', attempt: 1, errorType: null, cardType: this.cardType(), matching: false });
    this.sendProgress('payment-processing', 1, null);
    const final = await this.session.complete();
    processing.stop();
    await processing.done;
    return this.outcome(final);
  }

  /** The fields `<Pay>` asks for, in Twilio's order. */
  private fields(): Array<Exclude<PromptStep, 'payment-processing'>> {
    const { settings } = this.instruction;
    if (settings.paymentMethod === 'ach-debit') return ['bank-routing-number', 'bank-account-number'];
    return ['payment-card-number', 'expiration-date', ...(settings.securityCode ? ['security-code' as const] : []), ...(settings.postalCode ? ['postal-code' as const] : [])];
  }

  /** Asks for a field (and its second entry) until accepted: null then, or the action's parameters when the flow ends here. */
  private async askUntilAccepted(field: Exclude<PromptStep, 'payment-processing'>): Promise<Record<string, string> | null> {
    const matched = (this.instruction.settings.requireMatchingInputs as readonly string[]).includes(field);
    let errorType: ErrorType | null = null;
    for (let attempt = 1; ; attempt += 1) {
      if (attempt > this.instruction.maxAttempts) {
        await this.session.cancel();
        return { ...this.common(), Result: 'too-many-failed-attempts', PaymentError: errorType ?? 'internal-error' };
      }
      const moment: PromptMoment = { step: field, attempt, errorType: promptError(errorType), cardType: this.cardType(), matching: false };
      let end = await this.ask(field, moment);
      if (end.kind === 'accepted' && matched) {
        Object.assign(this.masked, end.masked);
        end = await this.ask(matcherOf(field), { ...moment, errorType: null, matching: true });
        if (end.kind === 'invalid') end = { kind: 'invalid', errorType: 'input-matching-failed' };
      }
      if (end.kind === 'ended') return this.outcome(end.params);
      if (end.kind === 'accepted') {
        Object.assign(this.masked, end.masked);
        this.sendProgress(field, attempt, null);
        return null;
      }
      errorType = end.errorType;
      this.sendProgress(field, attempt, errorType);
    }
  }

  /**
   * Starts the capture, then speaks its prompt while the caller may already type: keys are never lost to a prompt,
   * and the field's first key stops it (barge-in), as callers expect.
   */
  private async ask(name: CaptureName, moment: PromptMoment) {
    let speech: ReturnType<typeof speak> | null = null;
    let typed = false;
    const ended = this.session.capture(name, () => {
      typed = true;
      speech?.stop();
    });
    speech = this.speak(moment);
    if (typed) speech.stop();
    const end = await ended;
    speech.stop();
    await speech.done;
    return end;
  }

  private speak(moment: PromptMoment): ReturnType<typeof speak> {
    return speak(promptNouns(this.instruction.prompts, moment, this.instruction.language), this.run);
  }

  /** Twilio's `<Pay>` statusCallback: the step, the try, the error, and the masked fields so far. */
  private sendProgress(step: PromptStep, attempt: number, errorType: ErrorType | null): void {
    const target = this.instruction.statusCallback;
    if (target === null) return;
    const params: Record<string, string> = { AccountSid: this.run.call.accountSid, CallSid: this.run.call.sid, For: step, Attempt: String(attempt), ...this.fieldParams() };
    if (errorType !== null) params.ErrorType = errorType;
    this.progressChain = this.progressChain.then(() => this.services.progress(this.run.call, target, params));
  }

  private outcome(final: Record<string, string>): Record<string, string> {
    const params = this.common();
    for (const [name, value] of Object.entries(final)) if ((OUTCOME_FIELDS.includes(name) || name.startsWith('PayConnector_')) && value !== '') params[name] = value;
    // The session reports a cancel with no Result; `<Pay>` always has one.
    if (params.Result === undefined) params.Result = 'internal-error';
    return params;
  }

  private common(): Record<string, string> {
    const { settings } = this.instruction;
    return {
      PaymentMethod: settings.paymentMethod,
      ...(settings.bankAccountType !== null ? { BankAccountType: settings.bankAccountType } : {}),
      ...this.fieldParams(),
    };
  }

  private fieldParams(): Record<string, string> {
    return Object.fromEntries(MASKED_FIELDS.filter((name) => this.masked[name] !== undefined).map((name) => [name, this.masked[name]!]));
  }

  private cardType(): CardType | null {
    const type = this.masked.PaymentCardType;
    return CARD_TYPES.find((t) => t === type) ?? null;
  }
}

/** The session's error type in `<Prompt errorType>` words. */
function promptError(errorType: ErrorType | null): PromptErrorType | null {
  if (errorType === null) return null;
  if (errorType === 'input-timeout') return 'timeout';
  if (errorType === 'invalid-card-number-security-code-capture-sequence') return 'invalid-security-code';
  return errorType;
}
