// Secrets (API keys, session tokens, keyset secret keys) are stored only as this digest.
import { createHash } from 'node:crypto';

export const sha256Hex = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');
