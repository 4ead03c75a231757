// What the console and the phone share: signing in, calling paytone's HTTP API with the credentials typed at
// sign-in (kept in this tab's sessionStorage, never in a URL), the live event stream, and a tiny DOM helper.

const SIGN_IN_KEY = 'paytone.sign-in';
/** PCI DSS 8.2.8: a session idle for more than 15 minutes asks for the credentials again. */
const IDLE_MINUTES = 15;
const SIGNED_OUT_IDLE_KEY = 'paytone.signed-out-idle';
const ACTIVITY_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'];
const LIVE_EVENT_KINDS = ['call-status', 'started', 'asking', 'capture', 'completing', 'ended', 'said', 'played'];

/** A refusal from paytone: Twilio's error envelope. */
export class ApiError extends Error {
  constructor(envelope, status) {
    super(envelope && envelope.message ? envelope.message : `paytone answered ${status}`);
    this.code = envelope && envelope.code;
    this.status = status;
  }
}

export class PaytoneClient {
  /** `username` is the account sid (with its auth token) or an API key sid (with its secret). */
  constructor({ accountSid, username, secret }) {
    this.accountSid = accountSid;
    this.username = username || accountSid;
    this.secret = secret;
  }

  static restore() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(SIGN_IN_KEY) || 'null');
      return saved && saved.accountSid ? new PaytoneClient(saved) : null;
    } catch {
      return null;
    }
  }

  remember() {
    sessionStorage.setItem(SIGN_IN_KEY, JSON.stringify({ accountSid: this.accountSid, username: this.username, secret: this.secret }));
  }

  static forget() {
    sessionStorage.removeItem(SIGN_IN_KEY);
  }

  /** `/2010-04-01/Accounts/{AccountSid}` + path */
  account(path = '') {
    return `/2010-04-01/Accounts/${this.accountSid}${path}`;
  }

  /** Sends a request; `form` becomes a form post. Resolves to the JSON body, rejects with an ApiError. */
  async request(method, path, form) {
    // X-Requested-With: a script's request, so paytone answers a wrong secret with 401 alone, never a login challenge.
    const headers = { authorization: 'Basic ' + btoa(`${this.username}:${this.secret}`), accept: 'application/json', 'x-requested-with': 'paytone' };
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(Object.entries(form).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
    }
    const response = await fetch(path, { method, headers, body, cache: 'no-store' });
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!response.ok) throw new ApiError(json, response.status);
    return json;
  }

  /**
   * Follows the account's live events (optionally one call's). EventSource cannot send credentials, so each
   * connection opens with a fresh short-lived token; after a drop it resumes after the last event received.
   */
  follow(query, { onEvent, onState }) {
    let source = null;
    let lastId = null;
    let closed = false;
    let timer = null;
    const retry = (ms) => {
      clearTimeout(timer);
      timer = setTimeout(connect, ms);
    };
    const connect = async () => {
      if (closed) return;
      onState('connecting');
      let token;
      try {
        token = (await this.request('POST', `/v1/Accounts/${this.accountSid}/EventTokens.json`)).token;
      } catch (err) {
        onState(err instanceof ApiError && err.status === 401 ? 'refused' : 'offline');
        return retry(3000);
      }
      if (closed) return;
      const params = new URLSearchParams({ Token: token, ...query });
      if (lastId !== null) params.set('LastEventId', lastId);
      source = new EventSource(`/v1/Accounts/${this.accountSid}/Events?${params}`);
      source.onopen = () => onState('live');
      for (const kind of LIVE_EVENT_KINDS) {
        source.addEventListener(kind, (message) => {
          lastId = message.lastEventId || lastId;
          onEvent(JSON.parse(message.data));
        });
      }
      source.onerror = () => {
        // CONNECTING: the browser retries by itself. CLOSED: it gave up (the token expired): start over.
        if (source.readyState === EventSource.CLOSED) {
          source.close();
          retry(1000);
        }
        onState('connecting');
      };
    };
    connect();
    return {
      close() {
        closed = true;
        clearTimeout(timer);
        if (source) source.close();
      },
    };
  }
}

/** Builds an element: h('button', { class: 'x', onclick: fn }, 'text', child). Text is never parsed as HTML. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/**
 * Fills `section` with the sign-in form and calls `onSignedIn(client)` once paytone accepts the credentials: an
 * account SID with its auth token, or with an API key SID and the key's secret.
 */
export function signIn(section, onSignedIn) {
  const field = (label, attributes, note) => h('label', {}, label, note ? [' ', h('small', {}, note)] : null, ' ', h('input', { spellcheck: 'false', ...attributes }));
  const problem = h('p', { class: 'problem', role: 'alert' });
  const form = h(
    'form',
    { autocomplete: 'off' },
    field('Account SID', { name: 'account-sid', required: true, placeholder: 'AC…', autocomplete: 'username' }),
    field('API key SID', { name: 'key-sid', placeholder: 'SK… — leave empty to use the auth token' }, '(optional)'),
    field('Auth token or key secret', { name: 'secret', type: 'password', required: true, autocomplete: 'current-password' }),
    problem,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  section.replaceChildren(h('h2', { id: 'sign-in-title' }, 'Sign in'), h('p', { class: 'hint' }, section.dataset.hint), form);
  if (sessionStorage.getItem(SIGNED_OUT_IDLE_KEY)) {
    sessionStorage.removeItem(SIGNED_OUT_IDLE_KEY);
    problem.textContent = `Signed out after ${IDLE_MINUTES} minutes without activity: sign in again.`;
  }
  const input = (name) => form.querySelector(`[name="${name}"]`);
  const refuse = (text, name) => {
    problem.textContent = text;
    input(name).focus();
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const accountSid = input('account-sid').value.trim();
    const keySid = input('key-sid').value.trim();
    problem.textContent = '';
    if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) return refuse('The Account SID is AC followed by 32 hex characters.', 'account-sid');
    if (keySid && !/^SK[0-9a-fA-F]{32}$/.test(keySid)) {
      return refuse('An API key SID is SK followed by 32 hex characters; leave it empty to use the auth token.', 'key-sid');
    }
    const client = new PaytoneClient({ accountSid, username: keySid || accountSid, secret: input('secret').value.trim() });
    try {
      await client.request('GET', client.account('.json'));
    } catch (err) {
      return refuse(err instanceof ApiError && err.status === 401 ? 'paytone did not accept these credentials.' : `Could not sign in: ${err.message}`, 'secret');
    }
    client.remember();
    form.reset();
    onSignedIn(client);
  });
}

/**
 * Calls `signOut` (which forgets the credentials and reloads the page) once the agent has not touched the page for
 * IDLE_MINUTES; the sign-in form then says why.
 */
export function signOutWhenIdle(signOut) {
  let timer = null;
  const expire = () => {
    sessionStorage.setItem(SIGNED_OUT_IDLE_KEY, '1');
    signOut();
  };
  const restart = () => {
    clearTimeout(timer);
    timer = setTimeout(expire, IDLE_MINUTES * 60_000);
  };
  for (const name of ACTIVITY_EVENTS) document.addEventListener(name, restart, { capture: true, passive: true });
  restart();
}

/** Shows a live connection state in `element`. */
export function showConnection(element, state) {
  const words = { live: 'Live', connecting: 'Reconnecting…', offline: 'Offline', refused: 'Signed out by paytone' };
  element.textContent = words[state] || state;
  element.dataset.state = state;
}

export function formatClock(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * A field being asked for, as both pages show it: the digits expected (from the `asking` event) and the seconds
 * left before the field times out, counted from the caller's last key (the first digit gets FirstDigitTimeout).
 */
export class FieldWait {
  constructor(asking) {
    this.capture = asking.Capture;
    this.expected = asking.ExpectedDigits;
    this.timeout = Number(asking.Timeout);
    this.deadline = Date.now() + Number(asking.FirstDigitTimeout) * 1000;
  }

  /** The caller pressed a key: the next one has Timeout seconds. */
  typed() {
    this.deadline = Date.now() + this.timeout * 1000;
  }

  describe() {
    const left = Math.max(0, Math.ceil((this.deadline - Date.now()) / 1000));
    return `${this.expected} digits · ${left} s left`;
  }
}
