/**
 * Forged and stale access tokens for the token-attack suite (token-attacks.test.ts): each attack
 * is the `Authorization` value a hostile client would send, built from what an attacker can get
 * (a token of their own, the public key auth publishes) or, for claim checks, signed with the
 * stack's real key to prove the verifier looks past the signature.
 */
import {
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  generateSigningKeys,
  type SigningKeyPair,
} from '@social/kit';
import { SignJWT, decodeJwt, decodeProtectedHeader, importPKCS8, type JWTPayload } from 'jose';
import { createHmac, randomUUID } from 'node:crypto';

export interface TokenAttack {
  readonly name: string;
  /** The full `Authorization` value (HTTP header and graphql-ws `connectionParams.authorization`). */
  readonly authorization: string;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A compact JWS from a header and payload, signed by `sign` over `header.payload` (or unsigned). */
export function compactJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  sign: (input: string) => string = () => '',
): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${sign(input)}`;
}

/** Signs `payload` as given (no defaults added) with a PKCS#8 EdDSA key. */
export async function signRaw(
  privateKeyPem: string,
  payload: JWTPayload,
  header: { kid?: string } = {},
): Promise<string> {
  const key = await importPKCS8(privateKeyPem, 'EdDSA');
  return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', ...header }).sign(key);
}

/** The claims of a genuine access token, re-timed to be valid now. */
function freshClaims(token: string): JWTPayload {
  const claims = decodeJwt(token);
  const now = Math.floor(Date.now() / 1000);
  return { ...claims, iat: now, exp: now + 600, jti: randomUUID() };
}

/**
 * Forgeries and malformed credentials built from `victimToken` (a genuine token of a real
 * session): every one must be refused although its claims name a live session.
 */
export async function forgedTokenAttacks(options: {
  victimToken: string;
  /** The user another token's claims are swapped to (a tampered `sub`). */
  otherUserId: string;
  keys: SigningKeyPair;
}): Promise<TokenAttack[]> {
  const { victimToken, keys } = options;
  const claims = freshClaims(victimToken);
  const [header, , signature] = victimToken.split('.');
  const original = decodeProtectedHeader(victimToken);
  const now = Math.floor(Date.now() / 1000);
  const withoutClaim = (name: string) =>
    Object.fromEntries(Object.entries(claims).filter(([k]) => k !== name));
  const stranger = await generateSigningKeys();
  const bearer = (token: string) => `Bearer ${token}`;
  const tampered = (changes: Record<string, unknown>) =>
    // The genuine header and signature over a payload that was edited afterwards.
    `${header}.${base64url(JSON.stringify({ ...decodeJwt(victimToken), ...changes }))}.${signature}`;
  return [
    {
      name: 'alg none, empty signature',
      authorization: bearer(compactJwt({ alg: 'none', typ: 'JWT' }, claims)),
    },
    {
      name: 'alg None (case variant)',
      authorization: bearer(compactJwt({ alg: 'None', typ: 'JWT' }, claims)),
    },
    {
      name: 'alg none, original signature kept',
      authorization: bearer(`${compactJwt({ alg: 'none' }, claims).slice(0, -1)}.${signature}`),
    },
    {
      // Key confusion: the published public key (PEM text) used as an HMAC secret.
      name: 'HS256 keyed with the public key PEM',
      authorization: bearer(
        compactJwt({ alg: 'HS256', typ: 'JWT' }, claims, (input) =>
          createHmac('sha256', keys.publicKeyPem).update(input).digest('base64url'),
        ),
      ),
    },
    {
      name: 'HS256 keyed with the public key PEM, original kid',
      authorization: bearer(
        compactJwt({ ...original, alg: 'HS256' }, claims, (input) =>
          createHmac('sha256', keys.publicKeyPem.trim()).update(input).digest('base64url'),
        ),
      ),
    },
    {
      name: 'expired (real key)',
      authorization: bearer(
        await signRaw(keys.privateKeyPem, { ...claims, iat: now - 3600, exp: now - 600 }),
      ),
    },
    {
      name: 'no exp (real key)',
      authorization: bearer(await signRaw(keys.privateKeyPem, withoutClaim('exp'))),
    },
    {
      name: 'not yet valid, nbf in an hour (real key)',
      authorization: bearer(await signRaw(keys.privateKeyPem, { ...claims, nbf: now + 3600 })),
    },
    {
      name: 'wrong issuer (real key)',
      authorization: bearer(
        await signRaw(keys.privateKeyPem, { ...claims, iss: `${DEFAULT_JWT_ISSUER}-evil` }),
      ),
    },
    {
      name: 'wrong audience (real key)',
      authorization: bearer(
        await signRaw(keys.privateKeyPem, { ...claims, aud: `${DEFAULT_JWT_AUDIENCE}-evil` }),
      ),
    },
    {
      name: 'signed by another key pair',
      authorization: bearer(await signRaw(stranger.privateKeyPem, claims)),
    },
    {
      name: 'another key pair, kid pointing nowhere',
      authorization: bearer(
        await signRaw(stranger.privateKeyPem, claims, { kid: `nowhere-${randomUUID()}` }),
      ),
    },
    { name: 'tampered role ADMIN, original signature', authorization: bearer(tampered({ role: 'ADMIN' })) },
    {
      name: 'tampered sub (another user), original signature',
      authorization: bearer(tampered({ sub: options.otherUserId })),
    },
    {
      name: 'tampered exp, original signature',
      authorization: bearer(tampered({ exp: now + 86_400 * 365 })),
    },
    { name: 'signature stripped', authorization: bearer(`${victimToken.split('.').slice(0, 2).join('.')}.`) },
    {
      name: 'missing sub (real key)',
      authorization: bearer(await signRaw(keys.privateKeyPem, withoutClaim('sub'))),
    },
    {
      name: 'missing sid (real key)',
      authorization: bearer(await signRaw(keys.privateKeyPem, withoutClaim('sid'))),
    },
    {
      name: 'unknown role (real key)',
      authorization: bearer(await signRaw(keys.privateKeyPem, { ...claims, role: 'SUPERUSER' })),
    },
    { name: 'non-JWT garbage', authorization: 'Bearer not.a-jwt.at-all' },
    { name: 'random bytes', authorization: `Bearer ${base64url(randomUUID())}` },
    { name: 'Bearer with an empty token', authorization: 'Bearer ' },
    { name: 'Bearer alone', authorization: 'Bearer' },
    { name: 'wrong scheme (Basic), genuine token', authorization: `Basic ${victimToken}` },
    { name: 'no scheme, genuine token', authorization: victimToken },
    { name: 'two tokens', authorization: `Bearer ${victimToken} ${victimToken}` },
  ];
}
