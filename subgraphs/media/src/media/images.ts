import exifr from 'exifr';
import { Decimal128 } from 'mongodb';
import sharp, { type Metadata, type Sharp } from 'sharp';
import type { StoredExif } from '../data/collections.js';
import type { MediaFormat } from './formats.js';

/** Longest side of the renditions (issue 8). */
export const THUMBNAIL_SIZE = 320;
export const WEB_SIZE = 1080;

/** The bytes are not a decodable image (processing fails for good; retrying cannot help). */
export class ContentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContentError';
  }
}

export interface Rendition {
  readonly buffer: Buffer;
  readonly mimeType: string;
  readonly ext: string;
  readonly width: number;
  readonly height: number;
}

export interface ProcessedImage {
  /** Displayed size (EXIF orientation applied). */
  readonly width: number;
  readonly height: number;
  readonly aspectRatio: string;
  readonly exif: StoredExif | null;
  /** The original re-encoded without metadata, or null when the owner keeps location data. */
  readonly original: Rendition | null;
  readonly web: Rendition;
  readonly thumbnail: Rendition;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** "16:9", "4:3", "1:1"... reduced exactly (3000×2000 → "3:2"). */
export function aspectRatioOf(width: number, height: number): string {
  const divisor = gcd(width, height) || 1;
  return `${width / divisor}:${height / divisor}`;
}

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.replace(/\0/g, '').trim().slice(0, 200) : null;
const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** The seed's exifData from the image's EXIF (null when it has none worth keeping). */
export async function readExif(input: Buffer): Promise<StoredExif | null> {
  let raw: Record<string, unknown> | undefined;
  try {
    raw = (await exifr.parse(input, {
      tiff: true,
      exif: true,
      gps: true,
      ifd1: false,
      interop: false,
      translateValues: false,
      reviveValues: true,
      mergeOutput: true,
    })) as Record<string, unknown> | undefined;
  } catch {
    return null;
  }
  if (!raw) return null;
  const make = text(raw.Make);
  const model = text(raw.Model);
  const camera = make && model ? (model.startsWith(make) ? model : `${make} ${model}`) : (model ?? make);
  const fNumber = num(raw.FNumber);
  const exposure = num(raw.ExposureTime);
  const focal = num(raw.FocalLength);
  const flash = num(raw.Flash);
  const iso =
    num(raw.ISO) ?? num(Array.isArray(raw.ISOSpeedRatings) ? raw.ISOSpeedRatings[0] : raw.ISOSpeedRatings);
  const captured = raw.DateTimeOriginal ?? raw.CreateDate ?? raw.DateTime;
  const latitude = num(raw.latitude);
  const longitude = num(raw.longitude);
  const altitude = num(raw.GPSAltitude);
  const gps =
    latitude !== null && longitude !== null && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180
      ? {
          latitude: Decimal128.fromString(latitude.toFixed(7)),
          longitude: Decimal128.fromString(longitude.toFixed(7)),
          altitude: altitude === null ? null : raw.GPSAltitudeRef === 1 ? -altitude : altitude,
        }
      : null;
  const exif: StoredExif = {
    camera,
    lens: text(raw.LensModel),
    iso: iso === null ? null : Math.round(iso),
    aperture: fNumber === null ? null : `f/${Number(fNumber.toFixed(1))}`,
    shutterSpeed:
      exposure === null || exposure <= 0
        ? null
        : exposure < 1
          ? `1/${Math.round(1 / exposure)}`
          : `${Number(exposure.toFixed(1))}`,
    focalLength: focal === null ? null : `${Math.round(focal)}mm`,
    flash: flash === null ? null : (flash & 1) === 1,
    capturedAt: captured instanceof Date && !Number.isNaN(captured.getTime()) ? captured : null,
    gps,
  };
  const empty = Object.values(exif).every((value) => value === null);
  return empty ? null : exif;
}

async function render(pipeline: Sharp, mimeType: string, ext: string): Promise<Rendition> {
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { buffer: data, mimeType, ext, width: info.width, height: info.height };
}

/**
 * Dimensions, EXIF, a 320 px thumbnail and a 1080 px web rendition (WebP, no metadata), and unless
 * the owner keeps location data, the original re-encoded in its own format without any metadata
 * (orientation applied to the pixels), so no served rendition carries GPS.
 */
export async function processImage(
  input: Buffer,
  format: MediaFormat,
  keepLocationData: boolean,
  maxPixels: number,
): Promise<ProcessedImage> {
  const animated = format.mime === 'image/gif' || format.mime === 'image/webp';
  let metadata: Metadata;
  try {
    // The header only: nothing is decoded before the size check below.
    metadata = await sharp(input).metadata();
  } catch (error) {
    throw new ContentError(`the image could not be decoded: ${(error as Error).message}`, { cause: error });
  }
  if (!metadata.width || !metadata.height) throw new ContentError('the image has no dimensions');
  const pixels = metadata.width * metadata.height * (animated ? (metadata.pages ?? 1) : 1);
  if (pixels > maxPixels) {
    throw new ContentError(
      `the image is too large to process: ${metadata.width}×${metadata.height}` +
        `${animated && (metadata.pages ?? 1) > 1 ? ` × ${metadata.pages} frames` : ''}` +
        ` exceeds ${maxPixels} pixels`,
    );
  }
  // sharp's own guard as well, at the same limit (per frame).
  const limitInputPixels = maxPixels;
  const swap = (metadata.orientation ?? 1) >= 5;
  const width = swap ? metadata.height : metadata.width;
  const height = swap ? metadata.width : metadata.height;
  try {
    const source = () => sharp(input, { failOn: 'error', limitInputPixels }).rotate();
    const fit = (size: number) =>
      source().resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true });
    const [thumbnail, web] = await Promise.all([
      render(fit(THUMBNAIL_SIZE).webp({ quality: 80 }), 'image/webp', 'webp'),
      render(fit(WEB_SIZE).webp({ quality: 85 }), 'image/webp', 'webp'),
    ]);
    let original: Rendition | null = null;
    if (!keepLocationData) {
      const pages = (metadata.pages ?? 1) > 1 && animated;
      const base = pages ? sharp(input, { animated: true, failOn: 'error', limitInputPixels }) : source();
      const encoded =
        format.mime === 'image/jpeg'
          ? base.jpeg({ quality: 92 })
          : format.mime === 'image/png'
            ? base.png()
            : format.mime === 'image/webp'
              ? base.webp({ quality: 92 })
              : base.gif();
      original = await render(encoded, format.mime, format.ext);
      if (pages) original = { ...original, width, height };
    }
    return {
      width,
      height,
      aspectRatio: aspectRatioOf(width, height),
      exif: await readExif(input),
      original,
      web,
      thumbnail,
    };
  } catch (error) {
    throw new ContentError(`the image could not be processed: ${(error as Error).message}`, { cause: error });
  }
}
