// The sandbox caller's phone: place a call, press keys (click, or type 0-9 * #), hang up. It hears what a caller
// would hear from the payment prompts: whether an entry was taken and how the payment ended.
import { ApiError, FieldWait, PaytoneClient, formatClock, showConnection, signIn, signOutWhenIdle } from '/ui/paytone.js';

const FIELD_WORDS = {
  'payment-card-number': 'card number',
  'expiration-date': 'expiry date',
  'security-code': 'security code',
  'postal-code': 'postal code',
  'bank-routing-number': 'routing number',
  'bank-account-number': 'account number',
};
const KEYS = /^[0-9*#]$/;

const $ = (id) => document.getElementById(id);
let client = null;
let call = null;
let stream = null;
let keysSent = 0;
let timer = null;
/** The field the agent asked for, while the caller is entering it. */
let wait = null;
/** Keypresses go one after another, in the order pressed, however fast the clicks come. */
let sending = Promise.resolve();

function start(signedIn) {
  client = signedIn;
  $('sign-in').hidden = true;
  $('phone').hidden = false;
  $('sign-out').hidden = false;
  render();
  $('dial-form').querySelector('button').focus();
  signOutWhenIdle(signOut);
}

function signOut() {
  PaytoneClient.forget();
  if (stream) stream.close();
  location.reload();
}

function render() {
  const inCall = call !== null && call.status === 'in-progress';
  $('dial-form').hidden = inCall;
  $('hang-up').disabled = !inCall;
  for (const key of $('keypad').querySelectorAll('button')) key.disabled = !inCall;
  $('call-sid').textContent = call ? call.sid : '';
  $('keys-sent').textContent = inCall || keysSent ? `${keysSent} key${keysSent === 1 ? '' : 's'} pressed` : '';
  if (!call) $('call-state').textContent = 'Ready to call';
  else if (inCall) $('call-state').textContent = `In call with ${call.to} · ${formatClock(Date.now() - call.since)}`;
  else $('call-state').textContent = `Call ended · ${formatClock(call.endedAt - call.since)}`;
  $('asked').textContent = inCall && wait ? wait.describe() : '';
}

async function act(task) {
  $('problem').textContent = '';
  try {
    await task();
  } catch (err) {
    $('problem').textContent = err instanceof ApiError && err.code ? `${err.message} (${err.code})` : err.message;
  }
}

async function dial(event) {
  event.preventDefault();
  const data = new FormData($('dial-form'));
  await act(async () => {
    const placed = await client.request('POST', client.account('/Calls.json'), { From: data.get('From'), To: data.get('To') });
    call = { sid: placed.sid, to: placed.to, status: placed.status, since: Date.now(), endedAt: null };
    keysSent = 0;
    $('prompt').textContent = 'Connected. Wait for the agent to ask for your payment details.';
    if (stream) stream.close();
    $('connection').hidden = false;
    stream = client.follow({ CallSid: call.sid }, { onEvent, onState: (state) => showConnection($('connection'), state) });
    clearInterval(timer);
    timer = setInterval(render, 1000);
    render();
    $('keypad').querySelector('button').focus();
  });
}

function press(key) {
  if (!call || call.status !== 'in-progress' || !KEYS.test(key)) return;
  const button = $('keypad').querySelector(`[data-key="${CSS.escape(key)}"]`);
  button.classList.add('pressed');
  setTimeout(() => button.classList.remove('pressed'), 150);
  keysSent += 1;
  render();
  const callSid = call.sid;
  sending = sending.then(() => act(() => client.request('POST', `/sandbox/Accounts/${client.accountSid}/Calls/${callSid}/Dtmf.json`, { Digits: key })));
}

async function hangUp() {
  if (!call) return;
  await sending;
  await act(async () => {
    await client.request('POST', client.account(`/Calls/${call.sid}.json`), { Status: 'completed' });
    ended();
  });
}

function ended() {
  call.status = 'completed';
  call.endedAt = call.endedAt || Date.now();
  clearInterval(timer);
  render();
  $('dial-form').querySelector('button').focus();
}

function fieldWords(capture) {
  return FIELD_WORDS[capture.replace(/-matcher$/, '')] || capture;
}

/** What the caller hears, from the masked events of this call. */
function onEvent(event) {
  if (!call || event.call_sid !== call.sid) return;
  const p = event.parameters;
  if (event.kind === 'call-status' && p.CallStatus !== 'in-progress') {
    $('prompt').textContent = 'The call has ended.';
    return ended();
  }
  if (event.kind === 'said') $('prompt').textContent = `paytone said: ${p.Text}`;
  if (event.kind === 'started') $('prompt').textContent = 'The agent started a payment. Enter each detail when asked.';
  if (event.kind === 'asking') {
    wait = new FieldWait(p);
    const again = p.Capture.endsWith('-matcher') ? ' again' : '';
    $('prompt').textContent = `Enter your ${fieldWords(p.Capture)}${again}, then #`;
  }
  if (event.kind === 'capture') {
    const field = fieldWords(p.Capture);
    if (p.PartialResult === 'true') {
      if (wait && wait.capture === p.Capture) wait.typed();
      $('prompt').textContent = `Entering your ${field}… end with #.`;
    } else {
      wait = null;
      $('prompt').textContent = p.ErrorType ? `That ${field} was not accepted (${p.ErrorType}).` : `Thank you, your ${field} was received.`;
    }
  }
  if (event.kind === 'ended') {
    wait = null;
    const words = { success: 'Your payment was successful.', 'payment-connector-error': 'Your payment could not be processed.', 'caller-interrupted-with-star': 'You cancelled the payment.' };
    $('prompt').textContent = words[p.Result] || 'The payment was cancelled.';
  }
  render();
}

signIn($('sign-in'), start);
$('dial-form').addEventListener('submit', dial);
$('hang-up').addEventListener('click', hangUp);
$('keypad').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-key]');
  if (button) press(button.dataset.key);
});
document.addEventListener('keydown', (event) => {
  // Typed keys dial, except in the sign-in and dial forms; Enter and Space on a focused key press it as a click does.
  if (event.target.closest('input, select, textarea') || event.ctrlKey || event.metaKey || event.altKey) return;
  if (KEYS.test(event.key)) {
    event.preventDefault();
    press(event.key);
  }
});
$('sign-out').addEventListener('click', signOut);
const saved = PaytoneClient.restore();
if (saved) start(saved);
