import { describe, expect, it } from 'vitest';
import { digestAuthorization } from '../../devices/src/http-digest.ts';
import { DigestGuard } from '../../simulators/onvif-camera/http-digest.ts';

describe('HTTP Digest for the access controllers and the cameras (one helper, digest-header)', () => {
  const guard = new DigestGuard('IP Camera(C1234)');
  const url = new URL('http://127.0.0.1/ISAPI/Event/notification/alertStream?format=json');

  it('answers an MD5 challenge as a device checks it, also when SHA-256 is offered first', () => {
    const sha = 'Digest realm="IP Camera(C1234)", qop="auth", nonce="abc", algorithm=SHA-256';
    // Node joins a repeated WWW-Authenticate header with ", ".
    for (const header of [guard.challenge(), `${sha}, ${guard.challenge()}`]) {
      const a = digestAuthorization('GET', url, { 'www-authenticate': header }, 'admin', 'Gate#2024');
      expect('authorization' in a && guard.verify(a.authorization, 'GET', 'admin', 'Gate#2024')).toBe(true);
      expect('authorization' in a && guard.verify(a.authorization, 'GET', 'admin', 'wrong')).toBe(false);
    }
  });

  it('says why it cannot answer: no Digest, only SHA-256, no nonce, a colon in the credentials', () => {
    const why = (header: string, password = 'pw') => {
      const a = digestAuthorization('GET', url, { 'www-authenticate': header }, 'admin', password);
      return 'error' in a ? a.error : 'answered';
    };
    expect(why('Basic realm="x"')).toMatch(/no Digest/);
    expect(why('Digest realm="x", nonce="n", algorithm=SHA-256')).toMatch(/only Digest SHA-256, not MD5/);
    expect(why('Digest realm="x"')).toMatch(/no realm or nonce/);
    expect(why(guard.challenge(), 'a:b')).toMatch(/may not contain ':'/);
  });
});
