/** What the media tests share: operations as a client writes them, test files, upload and polling. */
import { eventually as waitUntil, type Supergraph } from '@social/testing';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

export const MEDIA_FIELDS = `
  id owner { id } fileName originalFileName fileType mimeType fileSize checksum
  url webUrl thumbnailUrl urlExpiresAt
  variants { name url mimeType fileSize width height }
  dimensions { width height aspectRatio } duration bitrate codec
  exif { camera lens iso aperture shutterSpeed focalLength flash capturedAt gps { latitude longitude altitude } }
  keepLocationData category tags description processingStatus processingError
  processingStartedAt processingCompletedAt isPublic usageCount
  usedIn { entityType entityId attachedAt }
  uploadedAt uploadCompletedAt expiresAt updatedAt`;

export const REQUEST_UPLOAD = `mutation RequestUpload($input: RequestUploadInput!) {
  requestUpload(input: $input) {
    mediaId uploadUrl method headers expiresAt maxFileSize
    media { id processingStatus fileType mimeType fileSize url expiresAt }
  }
}`;

export const MEDIA = `query Media($id: ID!) { media(id: $id) { ${MEDIA_FIELDS} } }`;

export interface MediaVariantView {
  name: string;
  url: string;
  mimeType: string;
  fileSize: number | null;
  width: number | null;
  height: number | null;
}

export interface MediaView {
  id: string;
  owner: { id: string };
  fileName: string;
  originalFileName: string;
  fileType: string;
  mimeType: string;
  fileSize: number;
  checksum: string | null;
  url: string | null;
  webUrl: string | null;
  thumbnailUrl: string | null;
  urlExpiresAt: string | null;
  variants: MediaVariantView[];
  dimensions: { width: number; height: number; aspectRatio: string } | null;
  duration: number | null;
  bitrate: number | null;
  codec: string | null;
  exif: {
    camera: string | null;
    lens: string | null;
    iso: number | null;
    aperture: string | null;
    shutterSpeed: string | null;
    focalLength: string | null;
    flash: boolean | null;
    capturedAt: string | null;
    gps: { latitude: number; longitude: number; altitude: number | null } | null;
  } | null;
  keepLocationData: boolean;
  category: string;
  tags: string[];
  description: string | null;
  processingStatus: string;
  processingError: string | null;
  processingStartedAt: string | null;
  processingCompletedAt: string | null;
  isPublic: boolean;
  usageCount: number;
  usedIn: { entityType: string; entityId: string; attachedAt: string }[] | null;
  uploadedAt: string;
  uploadCompletedAt: string | null;
  expiresAt: string | null;
  updatedAt: string;
}

export interface Ticket {
  mediaId: string;
  uploadUrl: string;
  method: string;
  headers: Record<string, string>;
  expiresAt: string;
  maxFileSize: number;
  media: { id: string; processingStatus: string; fileType: string; mimeType: string; fileSize: number };
}

export interface UploadOptions {
  fileName?: string;
  mimeType: string;
  category?: string;
  isPublic?: boolean;
  keepLocationData?: boolean;
  description?: string;
  tags?: string[];
  fileSize?: number;
}

/** requestUpload through the gateway; throws with the GraphQL errors when it fails. */
export async function requestUpload(
  supergraph: Supergraph,
  token: string,
  options: UploadOptions,
  bytes?: Buffer,
): Promise<Ticket> {
  const response = await supergraph.query<{ requestUpload: Ticket }>(
    REQUEST_UPLOAD,
    {
      input: {
        fileName: options.fileName ?? 'file.bin',
        mimeType: options.mimeType,
        fileSize: options.fileSize ?? bytes?.length ?? 1,
        category: options.category ?? 'POST',
        ...(options.isPublic !== undefined ? { isPublic: options.isPublic } : {}),
        ...(options.keepLocationData !== undefined ? { keepLocationData: options.keepLocationData } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.tags !== undefined ? { tags: options.tags } : {}),
      },
    },
    { token },
  );
  if (!response.data?.requestUpload)
    throw new Error(`requestUpload failed: ${JSON.stringify(response.errors)}`);
  return response.data.requestUpload;
}

/** PUTs bytes to an upload URL as a client would (the ticket's headers plus the bearer token). */
export function putBytes(
  ticket: Pick<Ticket, 'uploadUrl' | 'headers'>,
  token: string | undefined,
  body: Buffer | ReadableStream<Uint8Array>,
): Promise<Response> {
  return fetch(ticket.uploadUrl, {
    method: 'PUT',
    headers: { ...ticket.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
    ...(body instanceof Buffer ? {} : { duplex: 'half' }),
  } as RequestInit);
}

export async function mediaOf(
  supergraph: Supergraph,
  id: string,
  token?: string,
): Promise<{ media: MediaView | null; errors: unknown }> {
  const response = await supergraph.query<{ media: MediaView | null }>(MEDIA, { id }, token ? { token } : {});
  return { media: response.data?.media ?? null, errors: response.errors };
}

/**
 * Polls until `check` returns a value (processing runs off the request path), with the testing
 * package's `eventually`; the deadline only bounds a broken run.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  what: string,
  deadlineMs = 20_000,
): Promise<T> {
  return (await waitUntil(check, Boolean, { what, timeoutMs: deadlineMs })) as T;
}

/** Waits until the file's processing finished (COMPLETED or FAILED) and returns the owner's view. */
export function processed(supergraph: Supergraph, id: string, token: string): Promise<MediaView> {
  return eventually(async () => {
    const { media } = await mediaOf(supergraph, id, token);
    return media && (media.processingStatus === 'COMPLETED' || media.processingStatus === 'FAILED')
      ? media
      : undefined;
  }, `processing of ${id}`);
}

/** Uploads bytes end to end (request, PUT) and returns the ticket. */
export async function upload(
  supergraph: Supergraph,
  token: string,
  options: UploadOptions,
  bytes: Buffer,
): Promise<Ticket> {
  const ticket = await requestUpload(supergraph, token, options, bytes);
  const response = await putBytes(ticket, token, bytes);
  if (response.status !== 200) throw new Error(`upload failed: ${response.status} ${await response.text()}`);
  return ticket;
}

// -- Test files ---------------------------------------------------------------------------------------

/** A PNG with a gradient (so it is not trivially compressible), `width`×`height`. */
export async function makePng(width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const offset = (y * width + x) * 3;
      raw[offset] = (x * 255) / width;
      raw[offset + 1] = (y * 255) / height;
      raw[offset + 2] = 128;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Paris, as a camera writes it: degrees, minutes, seconds as rationals. */
export const GPS = { latitude: 48.8584, longitude: 2.2945 };

/** A JPEG with camera EXIF including GPS coordinates and an altitude. */
export async function makeJpegWithGps(width: number, height: number): Promise<Buffer> {
  const dms = (value: number) => {
    const degrees = Math.floor(value);
    const minutes = Math.floor((value - degrees) * 60);
    const seconds = Math.round(((value - degrees) * 60 - minutes) * 60 * 100);
    return `${degrees}/1 ${minutes}/1 ${seconds}/100`;
  };
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .jpeg({ quality: 90 })
    .withExif({
      IFD0: { Make: 'Canon', Model: 'Canon EOS R5' },
      IFD2: {
        ISOSpeedRatings: '200',
        FNumber: '28/10',
        ExposureTime: '1/250',
        FocalLength: '35/1',
        Flash: '1',
      },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: dms(GPS.latitude),
        GPSLongitudeRef: 'E',
        GPSLongitude: dms(GPS.longitude),
        GPSAltitudeRef: '0',
        GPSAltitude: '35/1',
      },
    })
    .toBuffer();
}

/** A mono 16-bit PCM WAV of `seconds` seconds (a real, playable audio file). */
export function makeWav(seconds: number, rate = 8000): Buffer {
  const samples = seconds * rate;
  const buffer = Buffer.alloc(44 + samples * 2);
  buffer.write('RIFF', 0);
  buffer.writeUInt32LE(36 + samples * 2, 4);
  buffer.write('WAVE', 8);
  buffer.write('fmt ', 12);
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20);
  buffer.writeUInt16LE(1, 22);
  buffer.writeUInt32LE(rate, 24);
  buffer.writeUInt32LE(rate * 2, 28);
  buffer.writeUInt16LE(2, 32);
  buffer.writeUInt16LE(16, 34);
  buffer.write('data', 36);
  buffer.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i += 1) {
    buffer.writeInt16LE(Math.round(Math.sin((i / rate) * 2 * Math.PI * 440) * 8000), 44 + i * 2);
  }
  return buffer;
}

/** The start of a Linux executable (ELF header) followed by filler: what a renamed binary looks like. */
export function makeElf(size = 4096): Buffer {
  const buffer = Buffer.alloc(size, 0x90);
  Buffer.from('7f454c4602010100000000000000000002003e0001000000', 'hex').copy(buffer);
  return buffer;
}

/** A Windows executable's MZ/PE header. */
export function makeExe(size = 4096): Buffer {
  const buffer = Buffer.alloc(size, 0);
  buffer.write('MZ', 0);
  buffer.writeUInt32LE(0x80, 0x3c);
  buffer.write('PE\0\0', 0x80, 'latin1');
  return buffer;
}

/** Every file under the media id's folder in the harness's storage directory. */
export async function storedFiles(supergraph: Supergraph, mediaId: string): Promise<string[]> {
  try {
    return await readdir(join(supergraph.mediaStorageDir, mediaId));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function fetchBytes(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}
