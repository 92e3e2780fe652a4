import { hash as bcryptHash, verify as bcryptVerify } from '@node-rs/bcrypt';
import { createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Secrets the service hands out (refresh tokens, verification codes, reset tokens) are stored only
 * as HMAC-SHA256 with a server key: a leaked table is useless without the key, and the 6-digit
 * codes cannot be brute-forced offline as a plain hash of them could.
 */
export interface SecretHasher {
  hash(secret: string): string;
  /** Constant-time comparison of a presented secret with a stored hash. */
  matches(secret: string, storedHash: string): boolean;
}

export function createSecretHasher(key: Buffer): SecretHasher {
  const hash = (secret: string) => createHmac('sha256', key).update(secret, 'utf8').digest('hex');
  return {
    hash,
    matches(secret, storedHash) {
      const presented = Buffer.from(hash(secret), 'hex');
      const stored = Buffer.from(storedHash, 'hex');
      return presented.length === stored.length && timingSafeEqual(presented, stored);
    },
  };
}

/** The HMAC key: the configured secret, else one derived from the signing key (HKDF). */
export function hashKeyFrom(secret: string | undefined, signingKeyPem: string): Buffer {
  const material = secret ?? signingKeyPem;
  return Buffer.from(hkdfSync('sha256', material, 'social-supergraph-auth', 'secret-hashes', 32));
}

/** An opaque high-entropy token (refresh and reset tokens). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A 6-digit verification code from a cryptographically strong source. */
export function randomCode(): string {
  return String(randomInt(100_000, 1_000_000));
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, passwordHash: string): Promise<boolean>;
  /** Spends the time of a real check, so an unknown account answers as slowly as a known one. */
  verifyDummy(password: string): Promise<void>;
}

/** bcrypt (DESIGN 7: cost 12) on the libuv thread pool, never blocking the event loop. */
export function createPasswordHasher(cost: number): PasswordHasher {
  const dummy = bcryptHash('dummy password for timing', cost);
  return {
    hash: (password) => bcryptHash(password, cost),
    verify: (password, passwordHash) => bcryptVerify(password, passwordHash),
    async verifyDummy(password) {
      await bcryptVerify(password, await dummy);
    },
  };
}
