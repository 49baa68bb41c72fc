import { DEFAULT_SIP_LIMITS, headerEnd, parseMessage, SipParseError, type SipLimits, type SipMessage } from './message.ts';

/**
 * Cuts a TCP byte stream into SIP messages by Content-Length (RFC 3261 §18.3). A framing error
 * (no Content-Length, a header block or message over the limits) is fatal for the connection:
 * the stream cannot be resynchronised, so push() throws and the caller closes it.
 */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly limits: SipLimits = DEFAULT_SIP_LIMITS) {}

  /** Every complete message in the data so far; a message that frames but does not parse is returned as its error. */
  push(data: Buffer): (SipMessage | SipParseError)[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const out: (SipMessage | SipParseError)[] = [];
    for (;;) {
      // Keep-alive CRLFs between messages (RFC 5626 §3.5.1) are skipped.
      let skip = 0;
      while (skip + 1 < this.buf.length && this.buf[skip] === 0x0d && this.buf[skip + 1] === 0x0a) skip += 2;
      if (skip) this.buf = this.buf.subarray(skip);
      if (!this.buf.length) break;
      const end = headerEnd(this.buf);
      if (end < 0) {
        if (this.buf.length > this.limits.maxHeaderLineBytes * (this.limits.maxHeaders + 1)) throw new SipParseError('oversized', 'header block over the limit');
        break;
      }
      const length = contentLength(this.buf.subarray(0, end));
      if (length === undefined) throw new SipParseError('bad_content_length', 'Content-Length is required on a stream transport');
      if (end + length > this.limits.maxMessageBytes) throw new SipParseError('oversized', `message of ${end + length} bytes is over ${this.limits.maxMessageBytes}`);
      if (this.buf.length < end + length) break;
      const one = this.buf.subarray(0, end + length);
      this.buf = this.buf.subarray(end + length);
      try {
        out.push(parseMessage(one, this.limits, true));
      } catch (err) {
        if (!(err instanceof SipParseError)) throw err;
        out.push(err);
      }
    }
    return out;
  }

  get buffered(): number {
    return this.buf.length;
  }
}

function contentLength(head: Buffer): number | undefined {
  const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d{1,9})[ \t]*\r\n/i.exec(head.toString('latin1'));
  return m ? Number(m[1]) : undefined;
}
