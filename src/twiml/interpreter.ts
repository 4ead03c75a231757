/**
 * Runs a call's TwiML over its `CallControl`: fetches a document (or takes the one given as `Twiml`), reads it,
 * and runs its verbs in order; a `<Redirect>` or a `<Dial>` action fetches the next document. When the last
 * document ends, the call is hung up, as on Twilio.
 *
 * Nothing here throws at the call: a document that cannot be fetched (after the fallback URL), cannot be read, or
 * reaches a verb paytone does not run or whose attributes are wrong becomes a notification on the call (Twilio's
 * code, what went wrong, the request and the answer) and a log line, and the call ends cleanly there. A verb that
 * needs the call answered (`answers`) has it answered first.
 *
 * @example
 *   await interpreter.run(call, control, { kind: 'request', url: call.url, method: call.method, fallback: null, params: {}, evenIfHungUp: false });
 */
import type { CallRecord, CallStatus } from '../domain/callView.js';
import type { CallbackPolicy } from '../domain/callbackPolicy.js';
import { voiceRequestParams } from '../domain/voiceRequest.js';
import type { CallControl } from './callControl.js';
import type { Clock } from './clock.js';
import { readTwiml, type TwimlElement } from './document.js';
import type { ProblemRequest, TwimlProblem } from './problems.js';
import type { NextRequest, VerbOutcome, VerbRun } from './verb.js';
import { NOT_YET_RUN, VERBS } from './verbs/index.js';
import { prepareSpeech } from './speech.js';
import type { PayServices } from './pay/payPorts.js';

/** Where the next document comes from. */
export type TwimlSource = { kind: 'twiml'; text: string } | ({ kind: 'request'; fallback: Pick<NextRequest, 'url' | 'method'> | null } & NextRequest);

/** An app's answer to a TwiML request: the document, or why there is none. */
export type FetchedTwiml = { ok: true; text: string; request: ProblemRequest } | { ok: false; problem: TwimlProblem; request: ProblemRequest };

export interface InterpreterDeps {
  /** Requests TwiML from an app, signed, by the method given (src/callbacks/voiceWebhook.ts). */
  fetchTwiml(accountSid: string, request: Pick<NextRequest, 'url' | 'method' | 'params'>): Promise<FetchedTwiml>;
  /** Records a problem on the call: a notification and a log line. */
  notify(call: CallRecord, problem: TwimlProblem, request: ProblemRequest | null): Promise<void>;
  /** Tells the call's live feed what paytone says or plays (never throws). */
  narrate(call: CallRecord, kind: 'said' | 'played', params: Record<string, string>): Promise<void>;
  /**
   * The call's keypad, sandbox or real: `subscribe` hears the keys no pay session takes, `onPress` that a key was
   * pressed at all (never which).
   */
  keys: { subscribe(callSid: string, listener: (key: string) => void): () => void; onPress(callSid: string, listener: () => void): () => void };
  clock: Clock;
  policy: CallbackPolicy;
  /** What `<Pay>` takes payments with (src/app/ivrPayDesk.ts). */
  pay?: PayServices;
}

/** A document's verbs, the URL relative URLs in it resolve against, and the request it came from (none for `Twiml`). */
interface LoadedDocument {
  verbs: TwimlElement[];
  url: string | null;
  request: ProblemRequest | null;
}

/**
 * Redirects from the API (`POST /Calls/{Sid}.json` with `Url` or `Twiml`): the verb running stops (its `stop`
 * signal fires) and the new TwiML runs instead of the rest of the document, as on Twilio.
 *
 * @example
 *   redirects.redirect({ kind: 'twiml', text: '<Response><Hangup/></Response>' });
 */
export class CallRedirects {
  private pending: TwimlSource | null = null;
  private controller = new AbortController();

  /** Fires when a redirect is waiting. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  redirect(source: TwimlSource): void {
    this.pending = source;
    this.controller.abort();
  }

  /** The redirect waiting, if any; from then on the signal is quiet again. */
  take(): TwimlSource | null {
    const taken = this.pending;
    if (taken !== null) {
      this.pending = null;
      this.controller = new AbortController();
    }
    return taken;
  }
}

/** Documents one call may run, so that a `<Redirect>` loop cannot run for ever. */
const MAX_DOCUMENTS = 1000;

export class TwimlInterpreter {
  constructor(private readonly deps: InterpreterDeps) {}

  async run(call: CallRecord, control: CallControl, first: TwimlSource, redirects: CallRedirects = new CallRedirects()): Promise<void> {
    const run: VerbRun = {
      call,
      control,
      clock: this.deps.clock,
      answered: call.status === 'in-progress',
      stop: control.hungUp,
      narrate: (kind, params) => this.deps.narrate(call, kind, params),
      notify: (problem) => this.deps.notify(call, problem, null),
      keys: (listener) => this.deps.keys.subscribe(call.sid, listener),
      keyPressed: (listener) => this.deps.keys.onPress(call.sid, listener),
      pay: this.deps.pay ?? null,
    };
    let next: TwimlSource | 'done' | 'ended' = first;
    for (let documents = 0; typeof next === 'object'; documents += 1) {
      if (documents === MAX_DOCUMENTS) {
        await this.deps.notify(call, { code: 12200, message: `The call ran ${MAX_DOCUMENTS} TwiML documents without ending; paytone hung it up.` }, null);
        break;
      }
      if (control.hungUp.aborted && !(next.kind === 'request' && next.evenIfHungUp)) return;
      const document = await this.load(run, next);
      // A request made after the caller hung up (a <Dial> action) is made; the TwiML it returns is not run.
      if (control.hungUp.aborted) break;
      const redirected = redirects.take();
      if (redirected !== null) next = redirected;
      else if (document === null) break;
      else next = await this.runDocument(run, document, redirects);
    }
    // The end of the last document hangs up, unless a verb already ended the call (or it is a sandbox call).
    if (next !== 'ended' && !control.hungUp.aborted && control.staysUp !== true) await control.hangUp();
  }

  /**
   * The document's verbs and the URL they came from (what relative URLs in it resolve against), or null when there is
   * none to run (a notification says why).
   */
  private async load(run: VerbRun, source: TwimlSource): Promise<LoadedDocument | null> {
    let text: string;
    let url: string | null = null;
    let request: ProblemRequest | null = null;
    if (source.kind === 'twiml') text = source.text;
    else {
      const params = { ...voiceRequestParams(run.call, this.statusNow(run)), ...source.params };
      url = source.url;
      let fetched = await this.deps.fetchTwiml(run.call.accountSid, { url, method: source.method, params });
      if (!fetched.ok && source.fallback !== null) {
        await this.deps.notify(run.call, fetched.problem, fetched.request);
        // Twilio tells the fallback what failed.
        url = source.fallback.url;
        fetched = await this.deps.fetchTwiml(run.call.accountSid, { ...source.fallback, params: { ...params, ErrorCode: String(fetched.problem.code), ErrorUrl: source.url } });
      }
      if (!fetched.ok) {
        await this.deps.notify(run.call, fetched.problem, fetched.request);
        return null;
      }
      ({ text, request } = fetched);
    }
    const read = readTwiml(text);
    if (!read.ok) {
      await this.deps.notify(run.call, read.problem, request);
      return null;
    }
    return { verbs: read.verbs, url, request };
  }

  /** Runs the verbs in order: the next document to fetch, `ended` when a verb ended the call, `done` otherwise. */
  private async runDocument(run: VerbRun, document: LoadedDocument, redirects: CallRedirects): Promise<TwimlSource | 'done' | 'ended'> {
    const scope = { documentUrl: document.url, policy: this.deps.policy };
    prepareSpeech(document.verbs, scope, run.control.voice);
    for (const element of document.verbs) {
      if (run.control.hungUp.aborted) return 'done';
      const redirected = redirects.take();
      if (redirected !== null) return redirected;
      run.stop = AbortSignal.any([run.control.hungUp, redirects.signal]);
      const verb = VERBS.get(element.name);
      if (verb === undefined) {
        const message = NOT_YET_RUN.has(element.name)
          ? `paytone does not run <${element.name}> yet; the call was ended there. The verbs it runs: ${[...VERBS.keys()].join(', ')}.`
          : `<${element.name}> is not a TwiML verb; the call was ended there.`;
        await this.deps.notify(run.call, { code: 12200, message }, document.request);
        return 'done';
      }
      const parsed = verb.parse(element, scope);
      if (!parsed.ok) {
        await this.deps.notify(run.call, parsed.problem, document.request);
        return 'done';
      }
      if (verb.answers(parsed.value) && !run.answered) {
        await run.control.answer();
        run.answered = true;
      }
      const outcome: VerbOutcome = await verb.run(parsed.value, run);
      if (outcome.kind === 'ended') return 'ended';
      const redirectedDuring = redirects.take();
      if (redirectedDuring !== null) return redirectedDuring;
      if (outcome.kind === 'request') return { kind: 'request', fallback: null, ...outcome.request };
    }
    return redirects.take() ?? 'done';
  }

  /** `CallStatus` as the app should hear it now. */
  private statusNow(run: VerbRun): CallStatus {
    if (run.control.hungUp.aborted) return 'completed';
    return run.answered ? 'in-progress' : run.call.status;
  }
}
