// The agent console: live calls, starting a pay session, asking for each field, following what the caller types
// (masked, as the callbacks show it) and finishing. Everything comes from paytone's API and live events; the
// page never receives a digit beyond the masks.
import { ApiError, FieldWait, PaytoneClient, formatClock, h, showConnection, signIn, signOutWhenIdle } from '/ui/paytone.js';

const FIELD_LABELS = {
  'payment-card-number': 'Card number',
  'expiration-date': 'Expiry (MMYY)',
  'security-code': 'Security code',
  'postal-code': 'Postal code',
  'bank-routing-number': 'Routing number',
  'bank-account-number': 'Account number',
};
/** The callback parameter and the session JSON property that carry each field's masked value. */
const FIELD_VALUES = {
  'payment-card-number': ['PaymentCardNumber', 'payment_card_number'],
  'expiration-date': ['ExpirationDate', 'expiration_date'],
  'security-code': ['SecurityCode', 'security_code'],
  'postal-code': ['PaymentCardPostalCode', 'payment_card_postal_code'],
  'bank-routing-number': ['BankRoutingNumber', 'bank_routing_number'],
  'bank-account-number': ['BankAccountNumber', 'bank_account_number'],
};
const FIELD_ORDER = [...Object.keys(FIELD_LABELS).flatMap((name) => [name, `${name}-matcher`])];
const ERROR_WORDS = {
  'input-timeout': 'Nothing typed in time',
  'invalid-card-number': 'Invalid card number',
  'invalid-card-type': 'Card type not accepted',
  'invalid-date': 'Invalid expiry date',
  'invalid-security-code': 'Invalid security code',
  'invalid-postal-code': 'Invalid postal code',
  'invalid-bank-routing-number': 'Invalid routing number',
  'invalid-bank-account-number': 'Invalid account number',
  'input-matching-failed': 'Second entry did not match',
  'invalid-card-number-security-code-capture-sequence': 'Capture the card number first',
  'internal-error': 'Internal error',
};
const STATUS_WORDS = {
  'in-progress': 'In progress',
  'awaiting-confirmation': 'Waiting for the caller to confirm',
  completing: 'Sending to the gateway…',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
};
const FINAL = ['completed', 'failed', 'canceled'];

const $ = (id) => document.getElementById(id);
const base = (name) => name.replace(/-matcher$/, '');
const labelOf = (name) => (name.endsWith('-matcher') ? `${FIELD_LABELS[base(name)]} (again)` : FIELD_LABELS[name]);

let client = null;
let stream = null;
/** Live calls by sid. */
const calls = new Map();
let selectedCall = null;
/** The pay session shown: its JSON and what each field shows. */
let session = null;
let ticker = null;

function start(signedIn) {
  client = signedIn;
  $('sign-in').hidden = true;
  $('desk').hidden = false;
  $('sign-out').hidden = false;
  $('connection').hidden = false;
  $('who').textContent = client.username === client.accountSid ? client.accountSid : `${client.accountSid} · key ${client.username}`;
  $('calls-title').focus();
  stream = client.follow({}, { onEvent, onState: (state) => showConnection($('connection'), state) });
  loadCalls();
  loadConnectors();
  ticker = setInterval(() => {
    renderCallTimes();
    renderWaits();
    renderKeypad();
  }, 1000);
  signOutWhenIdle(signOut);
}

function signOut() {
  PaytoneClient.forget();
  if (stream) stream.close();
  clearInterval(ticker);
  location.reload();
}

async function act(task) {
  $('problem').textContent = '';
  try {
    return await task();
  } catch (err) {
    $('problem').textContent = err instanceof ApiError && err.code ? `${err.message} (${err.code})` : err.message;
    return undefined;
  }
}

// ---- calls -------------------------------------------------------------------------------------------------

/** What the agent sees of a call that has not ended; the calls API and the call-status events both feed it. */
const CALL_STATES = { queued: 'Dialing', ringing: 'Ringing', 'in-progress': 'Answered' };

async function loadCalls() {
  await act(async () => {
    const pages = await Promise.all(Object.keys(CALL_STATES).map((status) => client.request('GET', client.account(`/Calls.json?Status=${status}&PageSize=100`))));
    for (const call of pages.flatMap((page) => page.calls)) {
      calls.set(call.sid, { sid: call.sid, from: call.from, to: call.to, since: Date.parse(call.start_time || call.date_created), status: call.status, direction: call.direction, parent: call.parent_call_sid });
    }
    renderCalls();
  });
}

async function loadConnectors() {
  try {
    const answer = await client.request('GET', `/v1/Accounts/${client.accountSid}/PayConnectors.json`);
    const names = (answer.connectors || answer.pay_connectors || []).map((c) => c.unique_name).filter(Boolean);
    $('connectors').replaceChildren(...[...new Set(['Default', ...names])].map((name) => h('option', { value: name })));
  } catch {
    // Only the built-in connector, then.
  }
}

function renderCalls() {
  const live = [...calls.values()].sort((a, b) => b.since - a.since);
  // A <Dial> leg shows under the call that dialed it, while both are up.
  const legsOf = (sid) => live.filter((call) => call.parent === sid);
  const top = live.filter((call) => !call.parent || !calls.has(call.parent));
  $('no-calls').hidden = live.length > 0;
  $('call-list').replaceChildren(
    ...top.map((call) => {
      const legs = legsOf(call.sid);
      return h('li', {}, callButton(call), legs.length ? h('ul', { class: 'call-legs', 'aria-label': 'Legs of this call' }, ...legs.map((leg) => h('li', {}, callButton(leg)))) : null);
    }),
  );
}

function callButton(call) {
  const direction = call.direction === 'inbound' ? 'incoming' : call.direction === 'outbound-dial' ? 'leg' : 'outgoing';
  return h(
    'button',
    { type: 'button', class: 'call', 'aria-pressed': String(call.sid === selectedCall), dataset: { callSid: call.sid, status: call.status }, onclick: () => selectCall(call.sid) },
    h('span', { class: 'call-parties' }, `${call.from} → ${call.to}`),
    h(
      'span',
      { class: 'call-meta' },
      h('span', { class: 'call-status', dataset: { status: call.status } }, CALL_STATES[call.status] || call.status),
      ` ${direction} `,
      h('code', {}, `…${call.sid.slice(-6)}`),
      ' ',
      h('span', { class: 'call-time', dataset: { since: call.since } }, formatClock(Date.now() - call.since)),
    ),
  );
}

function renderCallTimes() {
  for (const element of document.querySelectorAll('.call-time')) element.textContent = formatClock(Date.now() - Number(element.dataset.since));
}

async function selectCall(callSid) {
  selectedCall = callSid;
  renderCalls();
  $('pick-call').hidden = true;
  $('session-title').textContent = `Pay session · call …${callSid.slice(-6)}`;
  renderKeypad();
  await act(async () => {
    const answer = await client.request('GET', client.account(`/Calls/${callSid}/Payments.json`));
    const newest = answer.payments[0];
    if (newest) {
      showSession(newest);
      $('session-title').focus();
    } else {
      showStartForm();
    }
  });
}

/** Calls that turned out to have no keypad counts (another process holds them): not asked again every second. */
const noKeypad = new Set();

/**
 * An incoming (real) call's keypad, counts only (never a key): how keys arrived, how many the agent did not hear.
 * A sandbox call's keys come from the phone page: it has none.
 */
async function renderKeypad() {
  const element = $('keypad');
  const callSid = selectedCall;
  const call = calls.get(callSid);
  if (!call || call.direction !== 'inbound' || noKeypad.has(callSid)) {
    element.hidden = true;
    return;
  }
  let counts;
  try {
    counts = await client.request('GET', client.account(`/Calls/${callSid}/Keypad.json`));
  } catch (err) {
    if (err instanceof ApiError && err.code === 20404) noKeypad.add(callSid);
    counts = null;
  }
  if (callSid !== selectedCall) return;
  element.hidden = !counts;
  if (!counts) return;
  const { rfc4733, in_band: inBand, sip_info: sipInfo } = counts.keys;
  const total = rfc4733 + inBand + sipInfo;
  Object.assign(element.dataset, { keys: total, masked: counts.masked, rejected: counts.detector_rejections });
  element.textContent =
    `Caller's keypad: ${total} ${total === 1 ? 'key' : 'keys'} (RFC 4733 ${rfc4733}, in-band ${inBand}, SIP INFO ${sipInfo})` +
    ` · ${counts.masked} masked from the agent · ${counts.detector_rejections} short tones rejected`;
}

// ---- starting ---------------------------------------------------------------------------------------------

function showStartForm() {
  session = null;
  $('session-view').hidden = true;
  $('start-form').hidden = false;
  const callback = $('start-form').elements.StatusCallback;
  if (!callback.value) callback.value = `${location.origin}/sandbox/StatusCallbacks`;
  $('start-form').querySelector('select[name="PaymentMethod"]').focus();
}

function showMethodOptions() {
  const method = $('start-form').elements.PaymentMethod.value;
  for (const fieldset of $('start-form').querySelectorAll('fieldset[data-method]')) fieldset.hidden = fieldset.dataset.method !== method;
}

function startParameters(form) {
  const data = new FormData(form);
  const card = data.get('PaymentMethod') === 'credit-card';
  const amount = String(data.get('ChargeAmount') || '').trim();
  const parameters = {
    IdempotencyKey: crypto.randomUUID(),
    StatusCallback: data.get('StatusCallback'),
    PaymentMethod: data.get('PaymentMethod'),
    ChargeAmount: amount,
    Currency: data.get('Currency'),
    Description: data.get('Description'),
    PaymentConnector: data.get('PaymentConnector'),
    TokenType: amount === '' || Number(amount) === 0 ? data.get('TokenType') : '',
    Timeout: data.get('Timeout'),
    Confirmation: data.get('Confirmation') ? 'true' : '',
  };
  if (card) {
    Object.assign(parameters, {
      ValidCardTypes: data.getAll('ValidCardTypes').join(' '),
      SecurityCode: data.get('SecurityCode') ? '' : 'false',
      PostalCode: data.get('PostalCode') ? '' : 'false',
      MinPostalCodeLength: data.get('MinPostalCodeLength'),
      RequireMatchingInputs: data.getAll('RequireMatchingInputs').join(','),
    });
  } else {
    parameters.BankAccountType = data.get('BankAccountType');
  }
  return parameters;
}

async function startSession(event) {
  event.preventDefault();
  const form = $('start-form');
  const parameters = startParameters(form);
  form.dataset.statusCallback = parameters.StatusCallback;
  await act(async () => {
    const created = await client.request('POST', client.account(`/Calls/${selectedCall}/Payments.json`), parameters);
    log(`Started pay session …${created.sid.slice(-6)}`);
    showSession(await client.request('GET', client.account(`/Calls/${selectedCall}/Payments/${created.sid}.json`)));
    // Keyboard users go on where the work is: asking for the first field.
    $('fields').querySelector('button').focus();
  });
}

// ---- the session ------------------------------------------------------------------------------------------

function showSession(view) {
  $('start-form').hidden = true;
  $('session-view').hidden = false;
  const known = session && session.sid === view.sid ? session : { sid: view.sid, callSid: view.call_sid, fields: new Map() };
  session = known;
  merge(view);
  render();
}

/** Takes the session's JSON as the truth for status, values and the field being captured; keeps shown errors. */
function merge(view) {
  session.view = view;
  session.required = view.required;
  session.capture = view.capture;
  const card = view.payment_method === 'credit-card';
  const names = FIELD_ORDER.filter(
    (name) =>
      session.fields.has(name) ||
      view.required.includes(name) ||
      (FIELD_VALUES[name] && view[FIELD_VALUES[name][1]] !== null) ||
      (!name.endsWith('-matcher') && (card ? ['payment-card-number', 'expiration-date'] : ['bank-routing-number', 'bank-account-number']).includes(name)),
  );
  // An ended session's JSON keeps its masked summary (what was captured, as the callbacks showed it), so a tab
  // opened after the end shows the same rows as the one that watched it; a matcher shows no value of its own.
  const ended = FINAL.includes(view.status);
  for (const name of names) {
    const field = session.fields.get(name) || { state: 'missing', value: '', error: null };
    session.fields.set(name, field);
    const value = FIELD_VALUES[name] ? view[FIELD_VALUES[name][1]] : null;
    if (ended && name.endsWith('-matcher')) {
      if (field.state === 'waiting' || field.state === 'typing') Object.assign(field, { state: 'missing', value: '' });
    } else if (!ended && view.capture === name) {
      if (field.state !== 'typing') Object.assign(field, { state: 'waiting', error: null });
    } else if (value !== null && value !== undefined) {
      Object.assign(field, { state: 'captured', value, error: null, cardType: name === 'payment-card-number' ? view.payment_card_type : null });
    } else if (!ended && name.endsWith('-matcher') && !view.required.includes(name)) {
      Object.assign(field, { state: 'captured', value: 'matches', error: null });
    } else if (field.state !== 'error') {
      Object.assign(field, { state: 'missing', value: '' });
    }
  }
}

function render() {
  const view = session.view;
  const final = FINAL.includes(view.status);
  const open = view.status === 'in-progress';
  $('session-status').textContent = STATUS_WORDS[view.status] || view.status;
  $('session-status').dataset.status = view.status;
  const amount = view.charge_amount ? `${view.charge_amount} ${String(view.currency || '').toUpperCase()}` : `save as ${view.token_type} token`;
  $('session-what').textContent = `${view.payment_method === 'ach-debit' ? 'Bank account' : 'Card'} · ${amount} · ${view.payment_connector}`;
  $('session-sid').textContent = view.sid;
  $('required').textContent = final ? '' : session.required.length ? `Still needed: ${session.required.map(labelOf).join(', ')}` : 'Everything is captured: ready to complete.';
  $('required').dataset.ready = String(!final && session.required.length === 0);
  // Rows are redrawn on every event: a focused button must stay focused for keyboard and screen reader users.
  const focused = document.activeElement && document.activeElement.closest('#fields tr[data-field]');
  $('fields').replaceChildren(...[...session.fields].map(([name, field]) => fieldRow(name, field, open)));
  if (focused) {
    const again = $('fields').querySelector(`tr[data-field="${focused.dataset.field}"] button`);
    if (again && !again.disabled) again.focus();
  }
  $('complete').hidden = final;
  $('cancel').hidden = final;
  // Completing with a field missing or being typed is refused (64019, 64021): the button waits for them.
  $('complete').disabled = !open || session.required.length > 0 || Boolean(session.capture);
  $('cancel').disabled = !(open || view.status === 'awaiting-confirmation');
  $('new-session').hidden = !final;
  renderResult(view);
}

function fieldRow(name, field, open) {
  const words = {
    missing: 'Not captured',
    waiting: 'Waiting for the caller',
    typing: 'Caller is typing…',
    captured: 'Captured',
    error: ERROR_WORDS[field.error] || field.error,
  };
  const asked = field.state !== 'missing';
  return h(
    'tr',
    { dataset: { field: name, state: field.state } },
    h('th', { scope: 'row' }, labelOf(name)),
    h('td', { class: 'value' }, h('output', {}, field.value), field.cardType ? h('span', { class: 'card-type' }, field.cardType) : null),
    h(
      'td',
      { class: 'state' },
      words[field.state],
      field.state === 'error' ? h('code', { class: 'error-type' }, field.error) : null,
      field.wait && (field.state === 'waiting' || field.state === 'typing') ? h('span', { class: 'field-wait', dataset: { field: name } }, ` · ${field.wait.describe()}`) : null,
    ),
    h(
      'td',
      {},
      h('button', { type: 'button', disabled: !open, onclick: () => requestCapture(name), 'aria-label': `${asked ? 'Ask again for' : 'Ask for'} ${labelOf(name)}` }, asked ? 'Ask again' : 'Ask for it'),
    ),
  );
}

/** The seconds left of the field being typed, once a second. */
function renderWaits() {
  for (const element of document.querySelectorAll('.field-wait')) {
    const field = session && session.fields.get(element.dataset.field);
    if (field && field.wait) element.textContent = ` · ${field.wait.describe()}`;
  }
}

function renderResult(view) {
  const result = $('result');
  if (!FINAL.includes(view.status) && view.status !== 'awaiting-confirmation') {
    result.hidden = true;
    return;
  }
  result.hidden = false;
  result.dataset.status = view.status;
  const lines = [];
  if (view.status === 'awaiting-confirmation') lines.push(h('p', {}, 'The caller is asked to press 1 to pay or 2 to cancel.'));
  if (view.status === 'completed') {
    lines.push(h('p', { class: 'headline' }, view.payment_confirmation_code ? 'Payment succeeded' : 'Payment details saved'));
    if (view.payment_confirmation_code) lines.push(h('p', {}, 'Confirmation code ', h('code', { 'data-role': 'confirmation-code' }, view.payment_confirmation_code)));
    if (view.payment_token) lines.push(h('p', {}, 'Token ', h('code', { 'data-role': 'payment-token' }, view.payment_token)));
    if (view.profile_id) lines.push(h('p', {}, 'Profile ', h('code', {}, view.profile_id)));
  }
  if (view.status === 'failed') {
    lines.push(h('p', { class: 'headline' }, 'Payment failed'));
    lines.push(h('p', {}, view.payment_error || view.result, view.connector_error ? h('code', {}, ` ${view.connector_error}`) : null, view.pay_error_code ? h('code', {}, ` ${view.pay_error_code}`) : null));
  }
  if (view.status === 'canceled') {
    const why = { 'caller-hung-up': 'the caller hung up', 'caller-interrupted-with-star': 'the caller pressed *' }[view.result];
    lines.push(h('p', { class: 'headline' }, why ? `Canceled: ${why}` : 'Canceled'));
  }
  if (view.result) lines.push(h('p', { class: 'hint' }, 'Result ', h('code', { 'data-role': 'result' }, view.result)));
  result.replaceChildren(...lines);
}

function statusCallback() {
  return $('start-form').dataset.statusCallback || $('start-form').elements.StatusCallback.value || `${location.origin}/sandbox/StatusCallbacks`;
}

async function update(parameters) {
  return act(async () => {
    const path = client.account(`/Calls/${session.callSid}/Payments/${session.sid}.json`);
    await client.request('POST', path, { IdempotencyKey: crypto.randomUUID(), StatusCallback: statusCallback(), ...parameters });
    await refresh();
    return true;
  });
}

async function requestCapture(name) {
  const field = session.fields.get(name);
  // A new request replaces the one in progress: the caller starts this field afresh.
  for (const other of session.fields.values()) if (other.state === 'typing' || other.state === 'waiting') Object.assign(other, { state: 'missing', value: '' });
  Object.assign(field, { state: 'waiting', value: '', error: null, cardType: null });
  if (await update({ Capture: name })) log(`Asked for ${labelOf(name)}`);
}

async function refresh() {
  if (!session) return;
  const view = await client.request('GET', client.account(`/Calls/${session.callSid}/Payments/${session.sid}.json`));
  if (session && session.sid === view.sid) {
    merge(view);
    render();
  }
}

// ---- live events ------------------------------------------------------------------------------------------

function onEvent(event) {
  const p = event.parameters;
  if (event.kind === 'call-status') {
    const known = calls.get(event.call_sid);
    if (CALL_STATES[p.CallStatus]) {
      const since = known ? known.since : Date.parse(p.Timestamp);
      calls.set(event.call_sid, { sid: event.call_sid, from: p.From, to: p.To, since, status: p.CallStatus, direction: p.Direction, parent: p.ParentCallSid || null });
      if (known && known.status !== p.CallStatus) log(`Call …${event.call_sid.slice(-6)} ${CALL_STATES[p.CallStatus].toLowerCase()}`);
    } else {
      calls.delete(event.call_sid);
      if (known || event.call_sid === selectedCall) log(`Call …${event.call_sid.slice(-6)} ended (${p.CallStatus})`);
    }
    renderCalls();
    return;
  }
  if (event.call_sid !== selectedCall) return;
  if (event.kind === 'said') return log(`paytone said: ${p.Text}`);
  if (event.kind === 'played') return log(`paytone played: ${p.Url}`);
  if (event.kind === 'started' && (!session || session.sid !== event.payment_sid)) {
    act(async () => showSession(await client.request('GET', client.account(`/Calls/${event.call_sid}/Payments/${event.payment_sid}.json`))));
    return;
  }
  if (!session || session.sid !== event.payment_sid) return;
  if (event.kind === 'asking') return onAsking(p);
  if (event.kind === 'capture') return onCapture(p);
  if (event.kind === 'ended') log(p.Result ? `Session ended: ${p.Result}` : 'Session canceled');
  act(refresh);
}

/** The field the agent asked for is now the caller's: what is expected of them, and for how long. */
function onAsking(p) {
  const field = session.fields.get(p.Capture) || { state: 'missing', value: '', error: null };
  session.fields.set(p.Capture, field);
  for (const [name, other] of session.fields) if (name !== p.Capture && (other.state === 'typing' || other.state === 'waiting')) Object.assign(other, { state: 'missing', value: '', wait: null });
  Object.assign(field, { state: 'waiting', value: '', error: null, cardType: null, wait: new FieldWait(p) });
  session.capture = p.Capture;
  render();
}

function onCapture(p) {
  const name = p.Capture;
  const field = session.fields.get(name) || { state: 'missing', value: '', error: null };
  session.fields.set(name, field);
  const shown = FIELD_VALUES[name] ? p[FIELD_VALUES[name][0]] : undefined;
  if (p.PartialResult === 'true') {
    if (field.wait) field.wait.typed();
    Object.assign(field, { state: 'typing', value: shown || '', error: null, cardType: p.PaymentCardType || null });
  } else if (p.ErrorType) {
    Object.assign(field, { state: 'error', value: '', error: p.ErrorType, cardType: null, wait: null });
    $('announce').textContent = `${labelOf(name)}: ${ERROR_WORDS[p.ErrorType] || p.ErrorType}`;
    log(`${labelOf(name)}: ${ERROR_WORDS[p.ErrorType] || p.ErrorType}`);
  } else {
    Object.assign(field, { state: 'captured', value: shown || (name.endsWith('-matcher') ? 'matches' : ''), error: null, cardType: p.PaymentCardType || null, wait: null });
    $('announce').textContent = `${labelOf(name)} captured${shown ? `: ${shown}` : ''}`;
    log(`${labelOf(name)} captured ${shown || ''} ${p.PaymentCardType || ''}`.trim());
  }
  if (p.PartialResult === 'false') session.capture = null;
  if (p.Required !== undefined) session.required = p.Required ? p.Required.split(',') : [];
  render();
}

function log(text) {
  const entry = h('li', {}, h('time', {}, new Date().toLocaleTimeString()), ' ', text);
  $('log').prepend(entry);
  while ($('log').children.length > 50) $('log').lastChild.remove();
}

// ---- wiring -----------------------------------------------------------------------------------------------

signIn($('sign-in'), start);
$('sign-out').addEventListener('click', signOut);
$('start-form').addEventListener('submit', startSession);
$('start-form').elements.PaymentMethod.addEventListener('change', showMethodOptions);
$('complete').addEventListener('click', async () => {
  if (await update({ Status: 'complete' })) log('Asked to complete');
});
$('cancel').addEventListener('click', async () => {
  if (await update({ Status: 'cancel' })) log('Asked to cancel');
});
$('new-session').addEventListener('click', showStartForm);
const saved = PaytoneClient.restore();
if (saved) start(saved);
