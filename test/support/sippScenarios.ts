/**
 * SIPp scenarios for the call tests, written out here so that each test says in a line which peer it plays:
 * a caller (UAC) that hangs up or waits for paytone's BYE, cancels, puts the call on hold, or offers no G.711; an
 * agent (UAS) that answers with its media pointed at one of our RTP endpoints, is busy, or never answers.
 *
 * @example
 *   await startSipp(caller({ mediaPort: 40000, then: 'hang-up', holdMs: 2000 }), { target: sipPort, service: '+15551230001' });
 */

const XML_HEAD = '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">';

const INVITE_HEADERS = `Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: "Caller" <sip:+15559870000@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
User-Agent: SIPp caller`;

function offer(mediaPort: number | string, formats: string): string {
  const maps = formats
    .split(' ')
    .map((pt) => ({ '0': 'a=rtpmap:0 PCMU/8000', '8': 'a=rtpmap:8 PCMA/8000', '18': 'a=rtpmap:18 G729/8000', '96': 'a=rtpmap:96 telephone-event/8000' })[pt] ?? '')
    .filter((line) => line !== '')
    .join('\n');
  return `v=0
o=caller 53655765 2353687637 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio ${mediaPort} RTP/AVP ${formats}
${maps}`;
}

function inDialog(method: string, cseq: number, body = '', contentType = 'application/sdp'): string {
  return `<send retrans="500"><![CDATA[
${method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: "Caller" <sip:+15559870000@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: ${cseq} ${method}
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
${body === '' ? 'Content-Length: 0' : `Content-Type: ${contentType}\nContent-Length: [len]\n\n${body}`}
]]></send>`;
}

/** An ACK; `branch` names the INVITE's for the ACK of a failure (`[branch-N]`: N scenario steps back). */
function ack(cseq: number, branch = '[branch]'): string {
  return inDialog('ACK', cseq).replace('<send retrans="500">', '<send>').replace('branch=[branch]', `branch=${branch}`);
}

export interface CallerScenario {
  /** Where the caller's RTP is (one of our endpoints). */
  mediaPort: number;
  /** Formats offered; `0 96` by default (SIPp's PCMU with telephone-event on 96). */
  formats?: string;
  /** How long the call stays up before the next step. */
  holdMs?: number;
  /**
   * `hang-up`: the caller sends BYE after `holdMs`; `wait-bye`: paytone sends it; `hold`: re-INVITE sendonly, then BYE;
   * `cancel`: CANCEL after 180, before an answer; `refused:NNN`: expect that final response.
   */
  then: 'hang-up' | 'wait-bye' | 'hold' | 'cancel' | `refused:${number}`;
}

export function caller(s: CallerScenario): string {
  const invite = `<send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
${INVITE_HEADERS}
CSeq: 1 INVITE
Content-Type: application/sdp
Content-Length: [len]

${offer(s.mediaPort, s.formats ?? '0 96')}
]]></send>`;
  const steps: string[] = [invite, '<recv response="100" optional="true"/>'];
  if (s.then.startsWith('refused:')) {
    steps.push('<recv response="180" optional="true"/>', `<recv response="${s.then.slice(8)}"/>`, ack(1, '[branch-4]'));
  } else if (s.then === 'cancel') {
    steps.push(
      '<recv response="180"/>',
      `<send retrans="500"><![CDATA[
CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3];rport
From: "Caller" <sip:+15559870000@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 CANCEL
Max-Forwards: 70
Content-Length: 0
]]></send>`,
      '<recv response="200"/>',
      '<recv response="487"/>',
      ack(1, '[branch-6]'),
    );
  } else {
    steps.push('<recv response="180" optional="true"/>', '<recv response="200" rtd="true"/>', ack(1));
    // A BYE that arrives during a pause would be unexpected: waiting for it is the pause.
    if (s.then !== 'wait-bye') steps.push(`<pause milliseconds="${s.holdMs ?? 3000}"/>`);
    if (s.then === 'hold') {
      steps.push(inDialog('INVITE', 2, offer(s.mediaPort, '0') + '\na=sendonly'), '<recv response="200"><action><ereg regexp="a=recvonly" search_in="body" check_it="true" assign_to="held"/></action></recv>', '<Reference variables="held"/>', ack(2), '<pause milliseconds="500"/>');
    }
    if (s.then === 'wait-bye') {
      steps.push(`<recv request="BYE"/>`, `<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>`);
    } else {
      steps.push(inDialog('BYE', 3), '<recv response="200"/>');
    }
  }
  return `${XML_HEAD}\n<scenario name="caller">\n${steps.join('\n')}\n</scenario>\n`;
}

export interface AgentScenario {
  /** Where the agent's RTP is (one of our endpoints, which records what paytone sends the agent). */
  mediaPort?: number;
  /** `answer`: 180, 200, then wait for BYE; `answer-then-bye`: hang up after `holdMs`; `busy`: 486; `ring`: 180 until CANCEL. */
  then: 'answer' | 'answer-then-bye' | 'busy' | 'ring';
  holdMs?: number;
  /** A callee of `POST /Calls.json`, whose keypad matters: its offer lists telephone-event. An agent's never does. */
  callee?: boolean;
}

const AGENT_TAG = 'tag=[pid]SIPpTag01[call_number]';

function reply(status: string, extra = ''): string {
  return `<send><![CDATA[
SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:];${AGENT_TAG}
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:agent@[local_ip]:[local_port]>
${extra === '' ? 'Content-Length: 0' : extra}
]]></send>`;
}

export function agent(s: AgentScenario): string {
  const steps = [
    `<recv request="INVITE" crlf="true"><action><ereg regexp=".*" search_in="hdr" header="From:" assign_to="caller"/><ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="contact"/><ereg regexp="telephone-event" search_in="body" ${s.callee ? 'check_it="true"' : 'check_it_inverse="true"'} assign_to="events"/></action></recv>`,
    // An agent's offer must never list telephone-event (check_it_inverse fails the call if it does); a callee's must.
    '<Reference variables="caller,contact,events"/>',
  ];
  if (s.then === 'busy') {
    steps.push(reply('486 Busy Here'), '<recv request="ACK"/>');
  } else if (s.then === 'ring') {
    steps.push(reply('180 Ringing'), '<recv request="CANCEL"/>', reply('200 OK').replace(`[last_To:];${AGENT_TAG}`, '[last_To:]'), reply('487 Request Terminated').replace('[last_CSeq:]', 'CSeq: 1 INVITE'), '<recv request="ACK"/>');
  } else {
    const sdp = `Content-Type: application/sdp
Content-Length: [len]

v=0
o=agent 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio ${s.mediaPort ?? 9} RTP/AVP 0
a=rtpmap:0 PCMU/8000`;
    steps.push(reply('180 Ringing'), reply('200 OK', sdp).replace('<send>', '<send retrans="500">'), '<recv request="ACK"/>');
    if (s.then === 'answer-then-bye') {
      steps.push(`<pause milliseconds="${s.holdMs ?? 3000}"/>`, `<send retrans="500"><![CDATA[
BYE [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:agent@[local_ip]:[local_port]>;${AGENT_TAG}
To: [$caller]
Call-ID: [call_id]
CSeq: 1 BYE
Max-Forwards: 70
Content-Length: 0
]]></send>`, '<recv response="200"/>');
    } else {
      steps.push('<recv request="BYE"/>', reply('200 OK').replace(`[last_To:];${AGENT_TAG}`, '[last_To:]'));
    }
  }
  return `${XML_HEAD}\n<scenario name="agent">\n${steps.join('\n')}\n</scenario>\n`;
}

/** One thing a typing caller does once the call is up. */
export type TypingStep =
  | { pause: number }
  /** SIPp's own RFC 4733 events (PT 96): `play_dtmf`, each key `ms` long. */
  | { rfc4733: string; ms?: number }
  /** Streams a headerless µ-law file from SIPp's media port (in-band tones, speech). */
  | { stream: string }
  /** One SIP INFO per key, `application/dtmf-relay`. */
  | { info: string }
  /** Waits for the test's go (`RunningSipp.cue`): each field typed once the agent has asked for it, not on a clock. */
  | { cue: true };

/** The step that waits for the test's go: put one before each field and one before the hang-up. */
export const CUE: TypingStep = { cue: true };

/**
 * A caller that types: SIPp sends the audio and events itself from its media port (run it with `media: true`),
 * offering PCMU and telephone-event on 96, then does `steps` in order and hangs up. `play_dtmf` and `rtp_stream`
 * return at once and play in the background: a pause after one waits for it.
 */
export function typingCaller(steps: TypingStep[]): string {
  const out: string[] = [
    `<send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
${INVITE_HEADERS}
CSeq: 1 INVITE
Content-Type: application/sdp
Content-Length: [len]

${offer('[media_port]', '0 96')}
]]></send>`,
    '<recv response="100" optional="true"/>',
    '<recv response="180" optional="true"/>',
    '<recv response="200" rtd="true"/>',
    ack(1),
  ];
  let cseq = 2;
  for (const step of steps) {
    if ('pause' in step) out.push(`<pause milliseconds="${step.pause}"/>`);
    else if ('rfc4733' in step) out.push(`<nop><action><exec play_dtmf="${step.rfc4733},${step.ms ?? 120}"/></action></nop>`);
    else if ('stream' in step) out.push(`<nop><action><exec rtp_stream="${step.stream},1,0"/></action></nop>`);
    else if ('cue' in step) out.push('<recv request="OPTIONS"/>');
    else {
      for (const key of step.info) {
        out.push(inDialog('INFO', cseq++, `Signal=${key}\nDuration=160`, 'application/dtmf-relay'), '<recv response="200"/>', '<pause milliseconds="150"/>');
      }
    }
  }
  out.push(inDialog('BYE', cseq), '<recv response="200"/>');
  return `${XML_HEAD}\n<scenario name="typing caller">\n${out.join('\n')}\n</scenario>\n`;
}
