export { ctwing, CtwingPushClient, newEncodingAesKey, onenetEncrypt, onenetPlainBody, onenetSecureBody, onenetSignature, OnenetPushClient, randomNonce } from './platforms.ts';
