declare module 'digest-header' {
  /** The Authorization header answering an MD5 Digest challenge ('' when it has no realm or nonce); `userpass` is `user:password`. */
  export default function digestAuthHeader(method: string, uri: string, wwwAuthenticate: string, userpass: string): string;
}
