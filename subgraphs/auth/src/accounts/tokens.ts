import { createTokenSigner, type Role, type TokenSigner } from '@social/kit';
import { calculateJwkThumbprint, exportJWK, importPKCS8, type JWK } from 'jose';
import { createPublicKey } from 'node:crypto';
import type { AuthConfig } from '../config.js';

export interface AccessTokens {
  /** Signs a 15-minute access token for a session (DESIGN 7 claims). */
  issue(claims: { userId: string; sessionId: string; role: Role; username: string }): Promise<{
    token: string;
    expiresAt: Date;
  }>;
  /** The public JSON Web Key Set verifiers use (`/.well-known/jwks.json`). */
  readonly jwks: { keys: JWK[] };
  readonly ttlSeconds: number;
}

/** The signer with the configured private key; the JWKS holds its public half under its thumbprint. */
export async function createAccessTokens(config: AuthConfig): Promise<AccessTokens> {
  const publicKey = createPublicKey(config.JWT_PRIVATE_KEY);
  // Importing validates the PEM against the algorithm now rather than at the first login.
  await importPKCS8(config.JWT_PRIVATE_KEY, config.JWT_ALGORITHM);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const signer: TokenSigner = createTokenSigner({
    privateKey: config.JWT_PRIVATE_KEY,
    algorithm: config.JWT_ALGORITHM,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    keyId: kid,
  });
  return {
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    jwks: { keys: [{ ...jwk, kid, alg: config.JWT_ALGORITHM, use: 'sig' }] },
    async issue(claims) {
      const expiresAt = new Date(Date.now() + config.ACCESS_TOKEN_TTL_SECONDS * 1000);
      const token = await signer.sign({
        sub: claims.userId,
        sid: claims.sessionId,
        role: claims.role,
        username: claims.username,
      });
      return { token, expiresAt };
    },
  };
}
