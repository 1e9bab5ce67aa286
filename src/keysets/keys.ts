// Publish, subscribe and secret keys in PubNub's shapes: pub-c-<uuid>, sub-c-<uuid>, sec-c-<alphanumerics>.
import { randomBytes, randomUUID } from 'node:crypto';
import { sha256Hex } from '../secrets.js';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function alphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 = 4 × 62: rejecting the rest keeps every character equally likely.
      if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62];
    }
  }
  return out;
}

export const newPublishKey = () => `pub-c-${randomUUID()}`;
export const newSubscribeKey = () => `sub-c-${randomUUID()}`;
/** 48 alphanumerics ≈ 285 random bits; the first five after sec-c- serve as the key's public prefix. */
export const newSecretKey = () => `sec-c-${alphanumeric(48)}`;
export const hashSecretKey = sha256Hex;
