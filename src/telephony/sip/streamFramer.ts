/**
 * Cuts SIP messages out of a TCP byte stream (RFC 3261 §18.3): each message is its headers up to the empty line,
 * then Content-Length bytes of body (required on streams). CRLF keep-alives between messages (RFC 5626) are
 * skipped. A stream that holds more than one message's limit without completing one, or a message without a
 * readable Content-Length, is broken: the connection should be closed.
 *
 * @example
 *   const framer = new SipStreamFramer();
 *   const { messages, broken } = framer.push(chunk);
 */
import { headerEnd, SIP_LIMITS } from './message.js';

const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\d{1,6})[ \t]*$/im;

export class SipStreamFramer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { messages: Buffer[]; broken: string | null } {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Buffer[] = [];
    for (;;) {
      let start = 0;
      while (start < this.pending.length && (this.pending[start] === 0x0d || this.pending[start] === 0x0a)) start++;
      if (start > 0) this.pending = this.pending.subarray(start);
      const end = headerEnd(this.pending);
      if (end === null) {
        if (this.pending.length > SIP_LIMITS.messageBytes) return { messages, broken: 'headers longer than the message limit' };
        return { messages, broken: null };
      }
      const head = this.pending.subarray(0, end.at).toString('latin1');
      const length = CONTENT_LENGTH.exec(head);
      if (!length) return { messages, broken: 'a message on a stream has no Content-Length' };
      const total = end.at + end.length + Number(length[1]);
      if (total > SIP_LIMITS.messageBytes) return { messages, broken: 'message longer than the limit' };
      if (this.pending.length < total) return { messages, broken: null };
      messages.push(Buffer.from(this.pending.subarray(0, total)));
      this.pending = this.pending.subarray(total);
    }
  }
}
