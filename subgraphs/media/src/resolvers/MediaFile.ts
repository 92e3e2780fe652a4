import { parseInput } from '@social/kit';
import type { MediaFileDocument, StoredVariant, VariantName } from '../data/collections.js';
import { canSee } from '../media/operations.js';
import { accessLifetime } from '../media/validation.js';
import type { MediaContext } from '../subgraph.js';

const isOwner = (file: MediaFileDocument, context: MediaContext) => context.viewer?.id === file.userId;

/** When the signed URLs of a private file in this answer expire (unix seconds); null for public files. */
function urlExpiry(file: MediaFileDocument, context: MediaContext): number | null {
  return file.isPublic
    ? null
    : context.media.urls.expiryFor(context.media.config.MEDIA_SIGNED_URL_TTL_SECONDS);
}

function variantOf(file: MediaFileDocument, name: VariantName): StoredVariant | undefined {
  return file.variants.find((variant) => variant.name === name);
}

function urlOf(file: MediaFileDocument, name: VariantName, context: MediaContext): string | null {
  if (!variantOf(file, name)) return null;
  return context.media.urls.viewUrl(file, name, urlExpiry(file, context) ?? 0);
}

const decimal = (value: { toString(): string }) => Number.parseFloat(value.toString());

/** Fields of a stored file; visibility was decided where the file was loaded. */
export const MediaFile = {
  __resolveReference: async (reference: { id: unknown }, context: MediaContext) => {
    // Representations are client input when sent straight to the subgraph: an id that is not a
    // string names no file.
    if (typeof reference.id !== 'string') return null;
    const file = await context.loaders.mediaById.load(reference.id.toLowerCase());
    return file && canSee(file, context.viewer, 'reference') ? file : null;
  },

  id: (file: MediaFileDocument) => file._id.toHexString(),
  owner: (file: MediaFileDocument) => ({ __typename: 'User', id: file.userId }),
  url: (file: MediaFileDocument, _args: unknown, context: MediaContext) => urlOf(file, 'original', context),
  webUrl: (file: MediaFileDocument, _args: unknown, context: MediaContext) => urlOf(file, 'web', context),
  thumbnailUrl: (file: MediaFileDocument, _args: unknown, context: MediaContext) =>
    urlOf(file, 'thumbnail', context),
  variants: (file: MediaFileDocument, _args: unknown, context: MediaContext) =>
    file.variants.map((variant) => ({
      name: variant.name,
      url: context.media.urls.viewUrl(file, variant.name, urlExpiry(file, context) ?? 0),
      mimeType: variant.mimeType,
      fileSize: variant.size,
      width: variant.width,
      height: variant.height,
    })),
  urlExpiresAt: (file: MediaFileDocument, _args: unknown, context: MediaContext) => {
    const expiry = urlExpiry(file, context);
    return expiry === null || file.variants.length === 0 ? null : new Date(expiry * 1000);
  },
  accessUrl: (
    file: MediaFileDocument,
    args: { variant?: VariantName | null; expiresInSeconds?: number | null },
    context: MediaContext,
  ) => {
    if (!isOwner(file, context)) return null;
    const lifetime = parseInput(accessLifetime, args.expiresInSeconds ?? 3600, 'expiresInSeconds');
    // The SDL default (ORIGINAL) arrives as the enum name: defaults are read before the enum is mapped.
    const name = (args.variant ?? 'original').toLowerCase() as VariantName;
    if (!variantOf(file, name)) return null;
    return context.media.urls.signedUrl(file, name, Math.floor(Date.now() / 1000) + lifetime);
  },
  exif: (file: MediaFileDocument, _args: unknown, context: MediaContext) => {
    const exif = file.exifData;
    if (!exif) return null;
    const gps =
      exif.gps && (isOwner(file, context) || file.keepLocationData)
        ? {
            latitude: decimal(exif.gps.latitude),
            longitude: decimal(exif.gps.longitude),
            altitude: exif.gps.altitude,
          }
        : null;
    return { ...exif, gps };
  },
  tags: (file: MediaFileDocument) => file.tags,
  processingError: (file: MediaFileDocument) =>
    file.processingStatus === 'Failed' ? file.processingError : null,
  usedIn: (file: MediaFileDocument, _args: unknown, context: MediaContext) =>
    isOwner(file, context) ? file.usedIn : null,
  expiresAt: (file: MediaFileDocument) => (file.uploadCompletedAt ? null : file.expiresAt),
  duration: (file: MediaFileDocument) => file.duration,
  frameRate: (file: MediaFileDocument) => file.frameRate,
  bitrate: (file: MediaFileDocument) => file.bitrate,
};
