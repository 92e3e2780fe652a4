import {
  SignJWT,
  createRemoteJWKSet,
  errors as joseErrors,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type JWTVerifyGetKey,
  type KeyObject,
} from 'jose';
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { ErrorCode, forbidden, unauthenticated } from './errors.js';

export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'RS256';
export type Role = 'USER' | 'MODERATOR' | 'ADMIN';
const ROLES: readonly Role[] = ['USER', 'MODERATOR', 'ADMIN'];

/** The authenticated caller of a request, from the access token's claims (DESIGN 7). */
export interface Viewer {
  /** User id (`sub`). */
  readonly id: string;
  /** Session id (`sid`): revoking the session invalidates every token issued for it. */
  readonly sessionId: string;
  readonly role: Role;
  readonly username: string;
}

export interface AccessTokenClaims {
  readonly sub: string;
  readonly sid: string;
  readonly role: Role;
  readonly username: string;
}

export interface VerifierOptions {
  /** PEM (SPKI) public key; or `jwksUrl` to fetch and cache the issuer's key set. */
  readonly publicKey?: string;
  readonly jwksUrl?: string;
  readonly algorithm?: SigningAlgorithm;
  readonly issuer: string;
  readonly audience: string;
  /** Clock skew tolerated when checking `exp`/`nbf`, in seconds. */
  readonly clockToleranceSeconds?: number;
  /** Revocation check for logout / password change (DESIGN 7); resolves true when `sid` is revoked. */
  readonly isSessionRevoked?: (sessionId: string) => Promise<boolean>;
  /**
   * Verified tokens remembered (least recently used dropped first), so a token presented again
   * skips the signature check until its `exp`; 0 disables. The revocation check runs every time.
   */
  readonly cacheSize?: number;
}

/** Default number of verified tokens a verifier remembers. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * Tokens whose signature and claims checked out, with their viewer, until `exp` (no clock
 * tolerance: a remembered token is never accepted longer than its own expiry says). Only
 * successes are kept; a token is a key only once fully verified, so a forged one never matches.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { viewer: Viewer; expiresAtMs: number }>();

  constructor(private readonly capacity: number) {}

  get(token: string, now: number): Viewer | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (entry.expiresAtMs <= now) return undefined;
    this.entries.set(token, entry); // most recently used last
    return entry.viewer;
  }

  set(token: string, viewer: Viewer, expiresAtMs: number): void {
    if (this.capacity <= 0) return;
    this.entries.delete(token);
    this.entries.set(token, { viewer, expiresAtMs });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}

/** Message of the error a request gets while the revocation check cannot run. */
export const AUTHENTICATION_UNAVAILABLE_MESSAGE =
  'Authentication is temporarily unavailable, try again shortly';

/**
 * The revocation check could not run (Redis unreachable, or its revocation state lost and not yet
 * restored by auth): the token is refused, but not as UNAUTHENTICATED, which tells a client its
 * credentials are bad (it would drop them and send the user to the login page, and a refreshed
 * token would fail the same way). It is a transient server-side fault, so it carries the list's
 * INTERNAL_SERVER_ERROR (HTTP 500; clients retry with backoff) with a fixed message, which
 * production masking keeps (errors.ts, by its reason). The store's own error (raw ioredis text) is
 * kept as `cause`, for the server's logs only.
 */
export function authenticationUnavailable(cause?: unknown): GraphQLError {
  const error = new GraphQLError(AUTHENTICATION_UNAVAILABLE_MESSAGE, {
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, reason: 'AUTHENTICATION_UNAVAILABLE' },
  });
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  return error;
}

/** Whether `error` is the transient "cannot check revocations" refusal (not a verdict on the token). */
export function isAuthenticationUnavailable(error: unknown): boolean {
  return (
    error instanceof GraphQLError &&
    (error.extensions as { reason?: unknown } | undefined)?.reason === 'AUTHENTICATION_UNAVAILABLE'
  );
}

export interface TokenVerifier {
  /** Verifies a raw JWT; throws UNAUTHENTICATED for anything but a valid, unrevoked token. */
  verify(token: string): Promise<Viewer>;
  /**
   * Resolves an `Authorization` header value (HTTP header or graphql-ws `connectionParams`):
   * absent → anonymous (`null`); present but not a valid bearer token → UNAUTHENTICATED.
   */
  viewerFromAuthorization(header: string | null | undefined): Promise<Viewer | null>;
}

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const algorithm = options.algorithm ?? 'EdDSA';
  let key: Promise<CryptoKey | KeyObject> | JWTVerifyGetKey;
  if (options.jwksUrl) {
    key = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  } else if (options.publicKey) {
    key = importSPKI(options.publicKey, algorithm);
  } else {
    throw new Error('createTokenVerifier needs a publicKey or a jwksUrl');
  }

  const verified = new VerifiedTokens(options.cacheSize ?? VERIFIED_TOKEN_CACHE_SIZE);

  async function notRevoked(viewer: Viewer): Promise<Viewer> {
    if (!options.isSessionRevoked) return viewer;
    let revoked: boolean;
    try {
      revoked = await options.isSessionRevoked(viewer.sessionId);
    } catch (error) {
      // Fail closed: a session whose revocation cannot be checked is not accepted.
      throw authenticationUnavailable(error);
    }
    if (revoked) throw unauthenticated('Session has been revoked');
    return viewer;
  }

  async function verify(token: string): Promise<Viewer> {
    const remembered = verified.get(token, Date.now());
    if (remembered) return notRevoked(remembered);
    let payload;
    try {
      const verifyOptions = {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [algorithm],
        clockTolerance: options.clockToleranceSeconds ?? 5,
        requiredClaims: ['sub', 'exp', 'iat'],
      };
      ({ payload } =
        typeof key === 'function'
          ? await jwtVerify(token, key, verifyOptions)
          : await jwtVerify(token, await key, verifyOptions));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw unauthenticated('Access token has expired');
      if (error instanceof joseErrors.JOSEError) throw unauthenticated('Invalid access token');
      throw error;
    }
    const { sub, sid, role, username, exp } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof username !== 'string' || !isRole(role)) {
      throw unauthenticated('Access token is missing required claims');
    }
    const viewer: Viewer = { id: sub, sessionId: sid, role, username };
    if (typeof exp === 'number') verified.set(token, viewer, exp * 1000);
    return notRevoked(viewer);
  }

  return {
    verify,
    async viewerFromAuthorization(header) {
      if (header === undefined || header === null || header === '') return null;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match?.[1]) throw unauthenticated('Authorization must be "Bearer <access token>"');
      return verify(match[1]);
    },
  };
}

export interface SignerOptions {
  /** PEM (PKCS#8) private key. */
  readonly privateKey: string;
  readonly algorithm?: SigningAlgorithm;
  readonly issuer: string;
  readonly audience: string;
  /** Access token lifetime; 15 minutes by default (DESIGN 7). */
  readonly ttlSeconds?: number;
  readonly keyId?: string;
}

export interface TokenSigner {
  sign(claims: AccessTokenClaims, options?: { ttlSeconds?: number }): Promise<string>;
}

/** Issues access tokens. Only auth signs in production; tests and the dev stack sign with it too. */
export function createTokenSigner(options: SignerOptions): TokenSigner {
  const algorithm = options.algorithm ?? 'EdDSA';
  const key = importPKCS8(options.privateKey, algorithm);
  return {
    async sign(claims, signOptions) {
      const ttl = signOptions?.ttlSeconds ?? options.ttlSeconds ?? 900;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ sid: claims.sid, role: claims.role, username: claims.username })
        .setProtectedHeader({ alg: algorithm, ...(options.keyId ? { kid: options.keyId } : {}) })
        .setSubject(claims.sub)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(now)
        .setExpirationTime(now + ttl)
        .setJti(randomUUID())
        .sign(await key);
    },
  };
}

export interface SigningKeyPair {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

/** A fresh key pair in PEM form (dev stack and tests; production keys come from config). */
export async function generateSigningKeys(algorithm: SigningAlgorithm = 'EdDSA'): Promise<SigningKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(algorithm, { extractable: true });
  return { publicKeyPem: await exportSPKI(publicKey), privateKeyPem: await exportPKCS8(privateKey) };
}

/** Context shape every resolver can rely on. */
export interface ViewerContext {
  readonly viewer: Viewer | null;
}

/** The viewer, or UNAUTHENTICATED: the first line of every non-public resolver. */
export function requireViewer(context: ViewerContext): Viewer {
  if (!context.viewer) throw unauthenticated();
  return context.viewer;
}

/** The viewer if they hold one of `roles`, else FORBIDDEN (UNAUTHENTICATED when anonymous). */
export function requireRole(context: ViewerContext, ...roles: Role[]): Viewer {
  const viewer = requireViewer(context);
  if (!roles.includes(viewer.role)) throw forbidden();
  return viewer;
}
