// Users of partner accounts and their session tokens: PubNub's older session API (CONTRACT §7).
// A session token authorises the OEM routes under /api/oem with the user's account and full OEM
// permissions until it expires (24 h) or the user's password changes.
import { randomBytes } from 'node:crypto';
import type { Principal } from '../accounts/accounts.service.js';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../db/errors.js';
import type { Store } from '../db/store.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { findAccount } from '../accounts/accounts.repository.js';
import { sha256Hex } from '../secrets.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';
import * as repo from './users.repository.js';

export const SESSION_TTL_MS = 24 * 60 * 60 * 1000;
const SESSION_PERMISSIONS: ReadonlySet<string> = new Set(['oem:read', 'oem:write']);

const hashToken = sha256Hex;
/** Changes with every new password (each hash has its own salt); a session holds the one it was made under. */
const passwordVersion = (passwordHash: string) => sha256Hex(passwordHash);

/** Emails compare case-insensitively: stored trimmed and lower-cased. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function checkCredentials(email: string, password: string): void {
  const problems: string[] = [];
  if (email.length > 254 || !/^[^@\s]+@[^@\s]+$/.test(email)) problems.push('email must be an email address');
  if (password.length < 8 || password.length > 1024) problems.push('password must be 8 to 1024 characters long');
  if (problems.length > 0) throw badRequest(problems);
}

export class UsersService {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  async createUser(input: { accountId: number; email: string; password: string }) {
    const email = normaliseEmail(input.email);
    checkCredentials(email, input.password);
    if (!(await findAccount(this.store.db, input.accountId))) throw notFound(`account ${input.accountId} not found`);
    const now = this.clock.now().toISOString();
    try {
      const row = await repo.insertUser(this.store.db, {
        account_id: input.accountId, email, password_hash: await hashPassword(input.password), created_at: now, password_changed_at: now,
      });
      return { id: row.id, accountId: row.account_id, email: row.email };
    } catch (error) {
      if (isUniqueViolation(error, repo.EMAIL_UNIQUE)) throw badRequest(`a user with email ${email} already exists`);
      throw error;
    }
  }

  /** Sets a new password and ends every session of the user. */
  async setPassword(input: { email: string; password: string }) {
    const email = normaliseEmail(input.email);
    checkCredentials(email, input.password);
    const hash = await hashPassword(input.password);
    const now = this.clock.now().toISOString();
    return this.store.write(async (trx) => {
      const user = await repo.findUserByEmail(trx, email);
      if (!user) throw notFound(`no user with email ${email}`);
      await repo.setPasswordHash(trx, user.id, hash, now);
      await repo.deleteSessionsOf(trx, user.id);
      return { id: user.id, email: user.email, passwordChangedAt: now };
    });
  }

  /** Computes the decoy hash ahead of the first login, so even that one costs the usual time. */
  prepareLogins(): void {
    void decoyHash();
  }

  /** A new session token. Wrong email and wrong password fail alike, in about the same time. */
  async login(emailInput: string, password: string): Promise<{ token: string; user_id: number; expires: string }> {
    const user = await repo.findUserByEmail(this.store.db, normaliseEmail(emailInput));
    const valid = await verifyPassword(password, user?.password_hash ?? (await decoyHash()));
    if (!user || !valid) throw new AppError('Unauthorized', 'invalid email or password');
    const token = `oems_${randomBytes(32).toString('base64url')}`;
    const now = this.clock.now();
    const expires = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
    await repo.insertSession(this.store.db, {
      token_hash: hashToken(token), user_id: user.id, password_version: passwordVersion(user.password_hash), created_at: now.toISOString(), expires_at: expires,
    });
    return { token, user_id: user.id, expires };
  }

  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new AppError('Unauthorized', 'missing session token: send it in the x-session-token header');
    const session = await repo.findSession(this.store.db, hashToken(token.trim()));
    const now = this.clock.now().toISOString();
    // A session is void once the password it was verified against has changed, even if its row
    // survived (a login that raced the change and inserted after the change deleted sessions).
    if (!session || session.expiresAt <= now || session.passwordVersion !== passwordVersion(session.passwordHash)) {
      throw new AppError('Unauthorized', 'invalid or expired session token');
    }
    return { credential: `user:${session.userId}`, accountId: session.accountId, permissions: SESSION_PERMISSIONS, oemEnabled: session.oemEnabled === 1 };
  }
}
