import type { AddressInfo } from 'node:net';
import type { MediaFileDocument, VariantName } from '../data/collections.js';
import type { UrlSigner } from './signing.js';

/**
 * The origin in every URL the service hands out: MEDIA_PUBLIC_URL when configured, else the
 * address the service listens on (known once it listens; tests listen on random ports).
 */
export interface PublicOrigin {
  /** The origin, e.g. `http://127.0.0.1:4005`; throws before the service listens. */
  get(): string;
  /** Resolves with the origin once it is known. */
  readonly ready: Promise<string>;
  /** Called with the server's address when it starts listening. */
  listening(address: AddressInfo | string | null): void;
}

export function createPublicOrigin(configured: string | undefined): PublicOrigin {
  let origin = configured ? new URL(configured).toString().replace(/\/$/, '') : undefined;
  let resolveReady!: (value: string) => void;
  const ready = new Promise<string>((resolve) => {
    resolveReady = resolve;
  });
  if (origin) resolveReady(origin);
  return {
    get() {
      if (origin === undefined) throw new Error('the media service is not listening yet');
      return origin;
    },
    ready,
    listening(address) {
      if (configured || address === null || typeof address === 'string') return;
      const host =
        address.address === '0.0.0.0' || address.address === '::'
          ? '127.0.0.1'
          : address.family === 'IPv6'
            ? `[${address.address}]`
            : address.address;
      origin = `http://${host}:${address.port}`;
      resolveReady(origin);
    },
  };
}

/** Signed URLs of private files expire on 5-minute boundaries, so repeated reads share URLs (caches). */
const EXPIRY_STEP_SECONDS = 300;

export interface MediaUrls {
  /** `<origin>/media/<id>/<variant>`: stable and unsigned (public files; events). */
  publicUrl(mediaId: string, variant: VariantName): string;
  /** The URL a viewer gets: unsigned for public files, signed until `expires` for private ones. */
  viewUrl(file: MediaFileDocument, variant: VariantName, expires: number): string;
  /** A signed URL regardless of visibility (accessUrl). */
  signedUrl(file: MediaFileDocument, variant: VariantName, expires: number): string;
  /** When signed URLs made now for `ttlSeconds` expire (unix seconds, rounded up to a step). */
  expiryFor(ttlSeconds: number, now?: Date): number;
  uploadUrl(token: string): string;
}

export function createMediaUrls(origin: PublicOrigin, signer: UrlSigner): MediaUrls {
  const publicUrl = (mediaId: string, variant: VariantName) => `${origin.get()}/media/${mediaId}/${variant}`;
  const signedUrl = (file: MediaFileDocument, variant: VariantName, expires: number) => {
    const id = file._id.toHexString();
    const sig = signer.accessSignature(id, variant, expires, file.accessKey);
    return `${publicUrl(id, variant)}?expires=${expires}&sig=${sig}`;
  };
  return {
    publicUrl,
    signedUrl,
    viewUrl: (file, variant, expires) =>
      file.isPublic ? publicUrl(file._id.toHexString(), variant) : signedUrl(file, variant, expires),
    expiryFor(ttlSeconds, now = new Date()) {
      const target = Math.floor(now.getTime() / 1000) + ttlSeconds;
      return Math.ceil(target / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS;
    },
    uploadUrl: (token) => `${origin.get()}/media/upload/${token}`,
  };
}
