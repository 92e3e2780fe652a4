import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { MediaConfig } from '../config.js';
import type { VariantName } from '../data/collections.js';

/**
 * HMAC-SHA256 signatures of upload tickets and access URLs. Only the server holds the key, so a
 * URL cannot be forged or altered (another file, variant, user or expiry) without failing.
 */
export interface UrlSigner {
  /** `<mediaId>.<expires unix s>.<signature>`: the signature also covers the uploader's id. */
  uploadToken(mediaId: string, userId: string, expiresAt: Date): string;
  /**
   * Checks a token against the caller's user id: `invalid` for a malformed or forged token and for
   * another user's token (their id is part of the signed text), else its file and expiry.
   */
  verifyUploadToken(token: string, userId: string): { mediaId: string; expiresAt: Date } | 'invalid';
  /** Signature of `?expires=&sig=` for one variant of one file, bound to its access key. */
  accessSignature(mediaId: string, variant: VariantName, expires: number, accessKey: string): string;
  verifyAccess(
    mediaId: string,
    variant: VariantName,
    expires: number,
    accessKey: string,
    signature: string,
  ): boolean;
}

/** MEDIA_URL_SECRET, or outside production a key derived from the JWT keys (stable across restarts). */
export function urlSecretFrom(config: MediaConfig): Buffer {
  if (config.MEDIA_URL_SECRET) return Buffer.from(config.MEDIA_URL_SECRET, 'utf8');
  if (config.NODE_ENV === 'production') throw new Error('MEDIA_URL_SECRET is required in production');
  return createHash('sha256')
    .update('social-supergraph/media-url-secret/v1\n')
    .update(config.JWT_PRIVATE_KEY ?? config.JWT_PUBLIC_KEY ?? 'development')
    .digest();
}

const TOKEN = /^([0-9a-f]{24})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

export function createUrlSigner(secret: Buffer): UrlSigner {
  const sign = (...parts: string[]) =>
    createHmac('sha256', secret).update(parts.join('\n')).digest('base64url');
  const same = (a: string, b: string) =>
    a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

  return {
    uploadToken(mediaId, userId, expiresAt) {
      const expires = String(Math.floor(expiresAt.getTime() / 1000));
      return `${mediaId}.${expires}.${sign('upload', mediaId, userId, expires)}`;
    },
    verifyUploadToken(token, userId) {
      const match = TOKEN.exec(token);
      if (!match) return 'invalid';
      const [, mediaId = '', expires = '', signature = ''] = match;
      if (!same(signature, sign('upload', mediaId, userId, expires))) return 'invalid';
      return { mediaId, expiresAt: new Date(Number(expires) * 1000) };
    },
    accessSignature(mediaId, variant, expires, accessKey) {
      return sign('access', mediaId, variant, String(expires), accessKey);
    },
    verifyAccess(mediaId, variant, expires, accessKey, signature) {
      if (!SIGNATURE.test(signature) || !Number.isSafeInteger(expires)) return false;
      return same(signature, sign('access', mediaId, variant, String(expires), accessKey));
    },
  };
}
