import { CaseErrors } from './errors.ts';

export interface PhotoLimits {
  /** bytes a photo may have after decoding */
  maxBytes: number;
  maxCount: number;
}

export const DEFAULT_PHOTO_LIMITS: PhotoLimits = { maxBytes: 1024 * 1024, maxCount: 3 };

/** What a photo is, read from its first bytes (never from a name or a declared type). */
export function sniffImageType(data: Buffer): 'image/jpeg' | 'image/png' | 'image/webp' | undefined {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/**
 * Checks photos sent as base64: count, size and type on their content, and drops a JPEG's APP1
 * segments (EXIF, with the GPS position, and XMP) so a resident's photo does not say where they live.
 */
export function acceptPhotos(base64s: readonly string[], limits: PhotoLimits = DEFAULT_PHOTO_LIMITS): { type: string; data: Buffer }[] {
  if (base64s.length > limits.maxCount) throw new CaseErrors.BadInput(`at most ${limits.maxCount} photos`);
  return base64s.map((b64, i) => {
    // base64 is 4/3 of the bytes: refuse before decoding a huge string.
    if (b64.length > Math.ceil((limits.maxBytes * 4) / 3) + 4) throw new CaseErrors.TooLarge(`photo ${i + 1} is larger than ${limits.maxBytes} bytes`);
    const data = Buffer.from(b64, 'base64');
    if (data.length > limits.maxBytes) throw new CaseErrors.TooLarge(`photo ${i + 1} is larger than ${limits.maxBytes} bytes`);
    const type = sniffImageType(data);
    if (!type) throw new CaseErrors.BadInput(`photo ${i + 1} is not a JPEG, PNG or WebP image`);
    return { type, data: type === 'image/jpeg' ? stripJpegMetadata(data) : data };
  });
}

/** The JPEG without its APP1 segments; a file it cannot walk is returned unchanged up to the damage. */
export function stripJpegMetadata(jpeg: Buffer): Buffer {
  const parts: Buffer[] = [jpeg.subarray(0, 2)];
  let i = 2;
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1]!;
    // Start of scan: the image data follows, to the end.
    if (marker === 0xda) break;
    const length = jpeg.readUInt16BE(i + 2);
    if (length < 2 || i + 2 + length > jpeg.length) break;
    if (marker !== 0xe1) parts.push(jpeg.subarray(i, i + 2 + length));
    i += 2 + length;
  }
  parts.push(jpeg.subarray(i));
  return Buffer.concat(parts);
}
