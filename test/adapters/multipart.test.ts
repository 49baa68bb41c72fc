import { describe, expect, it } from 'vitest';
import { MultipartError, MultipartReader, type MultipartPart } from '../../server/src/ingest/adapters/multipart.ts';
import { fakeJpeg } from '../../simulators/access-controller/index.ts';

function stream(parts: { type: string; body: Buffer; length?: boolean }[]): Buffer {
  return Buffer.concat(parts.map((p) => Buffer.concat([Buffer.from(`--MIME_boundary\r\nContent-Type: ${p.type}\r\n${p.length === false ? '' : `Content-Length: ${p.body.length}\r\n`}\r\n`), p.body, Buffer.from('\r\n')])));
}

describe('multipart/mixed stream reader', () => {
  const jpeg = fakeJpeg('x');
  const bytes = Buffer.concat([Buffer.from('preamble\r\n'), stream([{ type: 'application/json', body: Buffer.from('{"a":1}') }, { type: 'image/jpeg', body: jpeg }, { type: 'text/plain', body: Buffer.from('no length'), length: false }]), Buffer.from('--MIME_boundary\r\n')]);

  it('yields the same parts whatever the chunking, a boundary inside a sized JPEG included', () => {
    for (const size of [1, 3, 7, 64, bytes.length]) {
      const parts: MultipartPart[] = [];
      const r = new MultipartReader('MIME_boundary', (p) => parts.push(p));
      for (let i = 0; i < bytes.length; i += size) r.write(bytes.subarray(i, i + size));
      expect(parts.map((p) => [p.headers['content-type'], p.body.toString('latin1')]), `chunks of ${size}`).toEqual([
        ['application/json', '{"a":1}'],
        ['image/jpeg', jpeg.toString('latin1')],
        ['text/plain', 'no length'],
      ]);
    }
  });

  it('knows a finite body ended at its closing delimiter, and one cut before it did not', () => {
    const whole = Buffer.concat([stream([{ type: 'application/json', body: Buffer.from('{}') }]), Buffer.from('--MIME_boundary--\r\n')]);
    const r = new MultipartReader('MIME_boundary', () => {});
    r.write(whole);
    expect(r.ended).toBe(true);
    const cut = new MultipartReader('MIME_boundary', () => {});
    cut.write(whole.subarray(0, whole.length - 8));
    expect(cut.ended).toBe(false);
  });

  it('reads parts opened by the boundary as the Content-Type gives it, leading dashes included, or with two more (RFC 2046)', () => {
    const read = (boundary: string, bytes: string) => {
      const parts: MultipartPart[] = [];
      const r = new MultipartReader(boundary, (p) => parts.push(p));
      for (const c of Buffer.from(bytes)) r.write(Buffer.from([c]));
      return parts.map((p) => p.body.toString());
    };
    // boundary=--myboundary, parts opened by --myboundary (x-mixed-replace cameras and door stations)
    expect(read('--myboundary', '--myboundary\r\nContent-Type: text/plain\r\n\r\nCode=A\r\n--myboundary\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nCode=B\r\n--myboundary\r\n')).toEqual(['Code=A', 'Code=B']);
    expect(read('--myboundary', '----myboundary\r\nContent-Type: text/plain\r\n\r\nCode=A\r\n----myboundary\r\n')).toEqual(['Code=A']);
  });

  it('reads the boundary from the Content-Type, quoted or not', () => {
    expect(MultipartReader.boundaryOf('multipart/mixed; boundary=MIME_boundary')).toBe('MIME_boundary');
    expect(MultipartReader.boundaryOf('multipart/mixed;boundary="a b"')).toBe('a b');
    expect(MultipartReader.boundaryOf('application/json')).toBeUndefined();
  });

  it('throws on a bad or oversized Content-Length, and knows when a stream stopped mid-part', () => {
    expect(() => new MultipartReader('b', () => {}).write(Buffer.from('--b\r\nContent-Length: x\r\n\r\n'))).toThrow(MultipartError);
    expect(() => new MultipartReader('b', () => {}, 100).write(Buffer.from('--b\r\nContent-Length: 1000\r\n\r\n'))).toThrow(/exceeds/);
    const r = new MultipartReader('b', () => {});
    r.write(Buffer.from('--b\r\nContent-Length: 10\r\n\r\n12345'));
    expect(r.midPart).toBe(true);
  });

  // Why the reader is not a strict RFC 2046 parser (docs/platforms.md): what controllers really send.
  it('reads the vendor quirks strict multipart parsers refuse: a doubled delimiter line, a sized part with no CRLF before the next delimiter', () => {
    const bytes = Buffer.from('--MIME_boundary\r\n--MIME_boundary\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}--MIME_boundary\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"b":2}\r\n--MIME_boundary\r\n');
    const parts: MultipartPart[] = [];
    new MultipartReader('MIME_boundary', (p) => parts.push(p)).write(bytes);
    expect(parts.map((p) => p.body.toString())).toEqual(['{"a":1}', '{"b":2}']);
  });
});
