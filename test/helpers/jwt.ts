// An independent JWT reader and ES256 verifier for the token tests: node:crypto only, never jose,
// so a bug in how the server uses jose cannot hide behind the same library verifying its output.
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, any>;
  signingInput: string;
  signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) throw new Error(`not a compact JWS: ${token}`);
  const [h, p, s] = parts as [string, string, string];
  const json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  return { header: json(h), payload: json(p), signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

/** True when the token's ES256 signature verifies with the JWKS key named by its kid. */
export function verifiesWith(token: string, jwks: { keys: (JsonWebKey & { kid?: string })[] }): boolean {
  const { header, signingInput, signature } = decodeJwt(token);
  if (header.alg !== 'ES256') return false;
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return false;
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  // JWS carries ECDSA signatures as r‖s (IEEE P1363), not DER.
  return verify('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }, signature);
}
