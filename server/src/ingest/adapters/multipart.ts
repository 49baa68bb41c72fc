/**
 * A streaming reader of an endless multipart/mixed body (an ISAPI alertStream): parts come out as
 * they complete, whatever the chunking. A part with Content-Length is read to that length (a JPEG
 * may contain anything); otherwise it ends at the next boundary; stray delimiter lines are skipped.
 * The hub's own because controllers' streams are not RFC 2046 multipart, which the libraries
 * (meros, multipasta, @remix-run/multipart-parser; busboy is form-data only) require: they ignore
 * Content-Length and cut at the boundary. docs/platforms.md has the framings they were tried on.
 */
export interface MultipartPart {
  headers: Record<string, string>;
  body: Buffer;
}

export class MultipartError extends Error {}

const CRLF2 = Buffer.from('\r\n\r\n');

export class MultipartReader {
  private buf: Buffer = Buffer.alloc(0);
  private delimiter: Buffer;
  private bodyDelimiter: Buffer;
  /**
   * A Content-Type boundary that starts with `--` (`boundary=--myboundary`): some devices then open
   * their parts with the boundary as given, others (RFC 2046) with two more dashes. Which one is
   * decided at the first delimiter line.
   */
  private undecided: Buffer | undefined;
  /** Between parts (looking for a boundary), or inside one with its headers read. */
  private part: { headers: Record<string, string>; length?: number } | undefined;

  constructor(
    boundary: string,
    private readonly onPart: (part: MultipartPart) => void,
    private readonly maxPartBytes = 4 * 1024 * 1024,
  ) {
    this.delimiter = Buffer.from(`--${boundary}`);
    this.bodyDelimiter = Buffer.from(`\r\n--${boundary}`);
    if (boundary.startsWith('--')) this.undecided = Buffer.from(boundary);
  }

  /** Where the next delimiter line starts, settling an undecided boundary on the first one. */
  private nextDelimiter(): number {
    if (!this.undecided) return this.buf.indexOf(this.delimiter);
    const at = this.buf.indexOf(this.undecided);
    if (at < 0) return at;
    const strict = at >= 2 && this.buf[at - 2] === 0x2d && this.buf[at - 1] === 0x2d;
    if (!strict) {
      this.delimiter = this.undecided;
      this.bodyDelimiter = Buffer.concat([Buffer.from('\r\n'), this.undecided]);
    }
    this.undecided = undefined;
    return strict ? at - 2 : at;
  }

  /** The boundary of a multipart Content-Type, or undefined. */
  static boundaryOf(contentType: string | undefined): string | undefined {
    const m = /^multipart\/[a-z-]+\s*;.*?boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
    return m ? (m[1] ?? m[2]) : undefined;
  }

  /** Takes the next chunk; throws MultipartError on a malformed or oversized part. */
  write(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (!this.part) {
        const at = this.nextDelimiter();
        if (at < 0) {
          // Keep what might be the start of a boundary; anything else before one is preamble.
          if (this.buf.length > this.maxPartBytes) throw new MultipartError(`no boundary in ${this.buf.length} bytes`);
          return;
        }
        const after = at + this.delimiter.length;
        if (this.buf.length < after + 2) return;
        if (this.buf[after] === 0x2d && this.buf[after + 1] === 0x2d) {
          // The closing delimiter: a well-behaved finite body ends here.
          this.buf = Buffer.alloc(0);
          this.ended = true;
          return;
        }
        const headersEnd = this.buf.indexOf(CRLF2, at);
        if (headersEnd < 0) {
          if (this.buf.length - at > 16 * 1024) throw new MultipartError('part headers longer than 16 KiB');
          return;
        }
        const head = this.buf.subarray(at + this.delimiter.length, headersEnd).toString('latin1');
        const headers: Record<string, string> = {};
        for (const line of head.split('\r\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const declared = headers['content-length'];
        const length = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
        if (declared !== undefined && length === undefined) throw new MultipartError(`bad Content-Length ${declared.slice(0, 20)}`);
        if (length !== undefined && length > this.maxPartBytes) throw new MultipartError(`part of ${length} bytes exceeds ${this.maxPartBytes}`);
        this.part = { headers, ...(length !== undefined ? { length } : {}) };
        this.buf = this.buf.subarray(headersEnd + CRLF2.length);
      }
      const part = this.part;
      let body: Buffer;
      if (part.length !== undefined) {
        if (this.buf.length < part.length) return;
        body = this.buf.subarray(0, part.length);
        this.buf = this.buf.subarray(part.length);
      } else {
        const end = this.buf.indexOf(this.bodyDelimiter);
        if (end < 0) {
          if (this.buf.length > this.maxPartBytes) throw new MultipartError(`part longer than ${this.maxPartBytes} bytes without a boundary`);
          return;
        }
        body = this.buf.subarray(0, end);
        this.buf = this.buf.subarray(end + 2);
      }
      this.part = undefined;
      this.onPart({ headers: part.headers, body: Buffer.from(body) });
    }
  }

  /** The closing delimiter was read: a whole (finite) body, such as a pushed form, ends so. */
  ended = false;

  /** True while a part has begun and not ended: a stream that stops here was cut mid-event. */
  get midPart(): boolean {
    return this.part !== undefined;
  }
}
