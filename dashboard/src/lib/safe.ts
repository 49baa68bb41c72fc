/** Only same-origin paths and http(s) URLs may become links or image sources (no javascript:, data:). */
export function safeUrl(url: unknown): string | null {
  if (typeof url !== 'string' || url.length > 2048) return null;
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}
