/**
 * Which files the service accepts: every allowed MIME type, the kind of file it is, its size limit
 * (seed 002: images 10 MB, video 100 MB, audio and documents 20 MB) and which sniffed types
 * (`file-type`, from the bytes) confirm a declaration.
 */
export type StoredFileType = 'Image' | 'Video' | 'Audio' | 'Document';

export const MB = 1024 * 1024;

export const SIZE_LIMITS: Readonly<Record<StoredFileType, number>> = {
  Image: 10 * MB,
  Video: 100 * MB,
  Audio: 20 * MB,
  Document: 20 * MB,
};

export interface MediaFormat {
  /** Canonical MIME type, as stored and served. */
  readonly mime: string;
  readonly fileType: StoredFileType;
  /** Extension of the generated file name. */
  readonly ext: string;
  /** MIME types `file-type` reports for bytes of this format. */
  readonly sniffed: readonly string[];
}

const formats: readonly MediaFormat[] = [
  { mime: 'image/jpeg', fileType: 'Image', ext: 'jpg', sniffed: ['image/jpeg'] },
  { mime: 'image/png', fileType: 'Image', ext: 'png', sniffed: ['image/png'] },
  { mime: 'image/webp', fileType: 'Image', ext: 'webp', sniffed: ['image/webp'] },
  { mime: 'image/gif', fileType: 'Image', ext: 'gif', sniffed: ['image/gif'] },
  { mime: 'video/mp4', fileType: 'Video', ext: 'mp4', sniffed: ['video/mp4'] },
  { mime: 'video/webm', fileType: 'Video', ext: 'webm', sniffed: ['video/webm'] },
  { mime: 'video/quicktime', fileType: 'Video', ext: 'mov', sniffed: ['video/quicktime'] },
  { mime: 'audio/mpeg', fileType: 'Audio', ext: 'mp3', sniffed: ['audio/mpeg'] },
  { mime: 'audio/mp4', fileType: 'Audio', ext: 'm4a', sniffed: ['audio/mp4', 'audio/x-m4a', 'video/mp4'] },
  { mime: 'audio/aac', fileType: 'Audio', ext: 'aac', sniffed: ['audio/aac'] },
  { mime: 'audio/ogg', fileType: 'Audio', ext: 'ogg', sniffed: ['audio/ogg', 'audio/opus'] },
  { mime: 'audio/wav', fileType: 'Audio', ext: 'wav', sniffed: ['audio/wav'] },
  { mime: 'audio/flac', fileType: 'Audio', ext: 'flac', sniffed: ['audio/flac', 'audio/x-flac'] },
  { mime: 'audio/webm', fileType: 'Audio', ext: 'weba', sniffed: ['audio/webm', 'video/webm'] },
  { mime: 'application/pdf', fileType: 'Document', ext: 'pdf', sniffed: ['application/pdf'] },
  {
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    fileType: 'Document',
    ext: 'docx',
    sniffed: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  },
  {
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    fileType: 'Document',
    ext: 'xlsx',
    sniffed: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  },
  {
    mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    fileType: 'Document',
    ext: 'pptx',
    sniffed: ['application/vnd.openxmlformats-officedocument.presentationml.presentation'],
  },
];

/** Spellings clients send for the same format. */
const ALIASES: Readonly<Record<string, string>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'audio/mp3': 'audio/mpeg',
  'audio/x-m4a': 'audio/mp4',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/x-flac': 'audio/flac',
  'audio/x-aac': 'audio/aac',
};

const byMime = new Map(formats.map((format) => [format.mime, format]));

/** Lower case, without parameters (`; charset=...`), aliases resolved. */
export function normalizeMime(value: string): string {
  const bare = (value.split(';')[0] ?? '').trim().toLowerCase();
  // Own keys only: `constructor` or `__proto__` would otherwise find Object.prototype's members.
  return Object.hasOwn(ALIASES, bare) ? (ALIASES[bare] as string) : bare;
}

/** The allowed format of a declared MIME type, or undefined when it is not allowed. */
export function formatOf(mime: string): MediaFormat | undefined {
  return byMime.get(normalizeMime(mime));
}

export const ALLOWED_MIME_TYPES: readonly string[] = formats.map((format) => format.mime);

/** Whether bytes sniffed as `sniffedMime` are what `format` declares. */
export function confirms(format: MediaFormat, sniffedMime: string | undefined): boolean {
  return sniffedMime !== undefined && format.sniffed.includes(sniffedMime);
}

/** How many leading bytes are read before deciding what a file is (file-type needs ~4 KB). */
export const SNIFF_BYTES = 64 * 1024;
