import { exportJWK, importSPKI } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createTokenSigner,
  createTokenVerifier,
  generateSigningKeys,
  requireRole,
  requireViewer,
  type SigningKeyPair,
} from '../src/auth.js';
import { codeOf } from '../src/errors.js';

const issuer = 'social-supergraph';
const audience = 'social-supergraph';
const claims = { sub: 'u-1', sid: 's-1', role: 'USER' as const, username: 'alice' };
let keys: SigningKeyPair;
let otherKeys: SigningKeyPair;

beforeAll(async () => {
  keys = await generateSigningKeys();
  otherKeys = await generateSigningKeys();
});

async function rejection(promise: Promise<unknown>): Promise<{ code: string | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: codeOf(error), message: (error as Error).message };
  }
  throw new Error('expected a rejection');
}

test('a token signed by auth is accepted and becomes the viewer', async () => {
  const token = await createTokenSigner({ privateKey: keys.privateKeyPem, issuer, audience }).sign(claims);
  const verifier = createTokenVerifier({ publicKey: keys.publicKeyPem, issuer, audience });
  await expect(verifier.viewerFromAuthorization(`Bearer ${token}`)).resolves.toEqual({
    id: 'u-1',
    sessionId: 's-1',
    role: 'USER',
    username: 'alice',
  });
});

test('no Authorization header means an anonymous viewer, not an error', async () => {
  const verifier = createTokenVerifier({ publicKey: keys.publicKeyPem, issuer, audience });
  await expect(verifier.viewerFromAuthorization(undefined)).resolves.toBeNull();
  await expect(verifier.viewerFromAuthorization('')).resolves.toBeNull();
});

test('tokens that are forged, expired, for another audience or malformed are UNAUTHENTICATED', async () => {
  const verifier = createTokenVerifier({ publicKey: keys.publicKeyPem, issuer, audience });
  const forged = await createTokenSigner({ privateKey: otherKeys.privateKeyPem, issuer, audience }).sign(
    claims,
  );
  const expired = await createTokenSigner({ privateKey: keys.privateKeyPem, issuer, audience }).sign(claims, {
    ttlSeconds: -30,
  });
  const elsewhere = await createTokenSigner({
    privateKey: keys.privateKeyPem,
    issuer,
    audience: 'other-app',
  }).sign(claims);
  expect(await rejection(verifier.viewerFromAuthorization(`Bearer ${forged}`))).toEqual({
    code: 'UNAUTHENTICATED',
    message: 'Invalid access token',
  });
  expect(await rejection(verifier.viewerFromAuthorization(`Bearer ${expired}`))).toEqual({
    code: 'UNAUTHENTICATED',
    message: 'Access token has expired',
  });
  expect((await rejection(verifier.viewerFromAuthorization(`Bearer ${elsewhere}`))).code).toBe(
    'UNAUTHENTICATED',
  );
  expect((await rejection(verifier.viewerFromAuthorization('Basic YWxpY2U6c2VjcmV0'))).code).toBe(
    'UNAUTHENTICATED',
  );
  expect((await rejection(verifier.viewerFromAuthorization('Bearer not.a.jwt'))).code).toBe(
    'UNAUTHENTICATED',
  );
});

test('a token of a revoked session is refused', async () => {
  const token = await createTokenSigner({ privateKey: keys.privateKeyPem, issuer, audience }).sign(claims);
  const revoked = new Set(['s-1']);
  const verifier = createTokenVerifier({
    publicKey: keys.publicKeyPem,
    issuer,
    audience,
    isSessionRevoked: async (sid) => revoked.has(sid),
  });
  expect(await rejection(verifier.verify(token))).toEqual({
    code: 'UNAUTHENTICATED',
    message: 'Session has been revoked',
  });
  revoked.clear();
  await expect(verifier.verify(token)).resolves.toMatchObject({ id: 'u-1' });
});

describe('remembered (already verified) tokens', () => {
  const signer = () => createTokenSigner({ privateKey: keys.privateKeyPem, issuer, audience });

  test('are still refused as soon as their session is revoked', async () => {
    const token = await signer().sign(claims);
    const revoked = new Set<string>();
    const checked: string[] = [];
    const verifier = createTokenVerifier({
      publicKey: keys.publicKeyPem,
      issuer,
      audience,
      isSessionRevoked: async (sid) => {
        checked.push(sid);
        return revoked.has(sid);
      },
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: 'u-1' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: 'u-1' });
    revoked.add('s-1');
    expect(await rejection(verifier.verify(token))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'Session has been revoked',
    });
    expect(await rejection(verifier.viewerFromAuthorization(`Bearer ${token}`))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'Session has been revoked',
    });
    // Every presentation asked, the remembered ones included.
    expect(checked).toEqual(['s-1', 's-1', 's-1', 's-1']);
  });

  test('are never accepted after their exp', async () => {
    const token = await signer().sign(claims, { ttlSeconds: 2 });
    const verifier = createTokenVerifier({
      publicKey: keys.publicKeyPem,
      issuer,
      audience,
      clockToleranceSeconds: 0,
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: 'u-1' });
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as {
      exp: number;
    };
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 50));
    expect(await rejection(verifier.verify(token))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'Access token has expired',
    });
  });

  test('do not make a token with an altered payload or signature acceptable', async () => {
    const token = await signer().sign(claims);
    const verifier = createTokenVerifier({ publicKey: keys.publicKeyPem, issuer, audience });
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: 'u-1' });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const admin = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'ADMIN' }),
    ).toString('base64url');
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}`;
    expect((await rejection(verifier.verify(`${header}.${admin}.${signature}`))).code).toBe(
      'UNAUTHENTICATED',
    );
    expect((await rejection(verifier.verify(`${header}.${payload}.${flipped}`))).code).toBe(
      'UNAUTHENTICATED',
    );
  });

  test('a verifier without a cache (cacheSize 0) verifies the same', async () => {
    const token = await signer().sign(claims);
    const verifier = createTokenVerifier({ publicKey: keys.publicKeyPem, issuer, audience, cacheSize: 0 });
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: 'u-1' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: 'u-1' });
  });
});

describe('keys from a JWKS endpoint', () => {
  let server: Server;
  let jwksUrl: string;
  beforeAll(async () => {
    const jwk = await exportJWK(await importSPKI(keys.publicKeyPem, 'EdDSA'));
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...jwk, kid: 'k1', alg: 'EdDSA', use: 'sig' }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('are fetched and used to verify tokens carrying their kid', async () => {
    const token = await createTokenSigner({
      privateKey: keys.privateKeyPem,
      issuer,
      audience,
      keyId: 'k1',
    }).sign(claims);
    const verifier = createTokenVerifier({ jwksUrl, issuer, audience });
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: 'u-1', username: 'alice' });
    const forged = await createTokenSigner({
      privateKey: otherKeys.privateKeyPem,
      issuer,
      audience,
      keyId: 'k1',
    }).sign(claims);
    expect((await rejection(verifier.verify(forged))).code).toBe('UNAUTHENTICATED');
  });
});

test('requireViewer and requireRole guard resolvers', () => {
  const viewer = { id: 'u-1', sessionId: 's-1', role: 'USER' as const, username: 'alice' };
  expect(() => requireViewer({ viewer: null })).toThrow('Authentication required');
  expect(requireViewer({ viewer })).toBe(viewer);
  expect(() => requireRole({ viewer }, 'ADMIN')).toThrow('You are not allowed to do this');
  expect(requireRole({ viewer: { ...viewer, role: 'ADMIN' } }, 'ADMIN', 'MODERATOR').role).toBe('ADMIN');
});
