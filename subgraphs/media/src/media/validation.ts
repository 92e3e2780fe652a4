import { requiredText } from '@social/kit';
import { z } from 'zod';
import { CATEGORIES, ENTITY_TYPES, type StoredCategory, type StoredEntityType } from '../data/collections.js';
import { ALLOWED_MIME_TYPES, SIZE_LIMITS, formatOf, normalizeMime } from './formats.js';

/** One schema per input type, with the seed's limits (STYLE 9); checked before anything is stored. */

/**
 * Control characters (C0, DEL, C1) and the bidirectional controls (U+202A-U+202E, U+2066-U+2069,
 * LRM/RLM/ALM, which make "invoice<RLO>fdp.exe" display as "invoiceexe.pdf"): they have no
 * place in a file name shown to people.
 */
const hasControl = (value: string) => /[\p{Cc}\p{Bidi_Control}]/u.test(value);

export const fileName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine((value) => !/[/\\]/.test(value), 'must not contain path separators')
  .refine((value) => !hasControl(value), 'must not contain control characters')
  .refine((value) => value !== '.' && value !== '..', 'is not a file name');

export const tag = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,50}$/, 'must be 1-50 letters, digits, _ or -')
  .transform((value) => value.toLowerCase());

const tags = z
  .array(tag)
  .max(20, 'must have at most 20 tags')
  .transform((values) => [...new Set(values)]);

const description = z
  .string()
  .max(500, 'must be at most 500 characters')
  .transform((value) => (value.trim() === '' ? null : value.trim()));

const category = z.enum(CATEGORIES as readonly StoredCategory[] as [StoredCategory, ...StoredCategory[]]);

export const requestUploadInput = z
  .object({
    fileName,
    mimeType: z
      .string()
      .max(255, 'must be at most 255 characters')
      .transform(normalizeMime)
      .refine((value) => formatOf(value) !== undefined, {
        message: `is not an allowed type (allowed: ${ALLOWED_MIME_TYPES.join(', ')})`,
      }),
    fileSize: z.number().int('must be a whole number of bytes').min(1, 'must be at least 1 byte'),
    category,
    description: description.nullish().transform((value) => value ?? null),
    tags: tags.nullish().transform((value) => value ?? []),
    isPublic: z
      .boolean()
      .nullish()
      .transform((value) => value ?? false),
    keepLocationData: z
      .boolean()
      .nullish()
      .transform((value) => value ?? false),
  })
  .superRefine((input, context) => {
    const format = formatOf(input.mimeType);
    if (format && input.fileSize > SIZE_LIMITS[format.fileType]) {
      const mb = SIZE_LIMITS[format.fileType] / 1024 / 1024;
      context.addIssue({
        code: 'custom',
        path: ['fileSize'],
        message: `must be at most ${SIZE_LIMITS[format.fileType]} bytes (${mb} MB) for ${format.fileType.toLowerCase()} files`,
      });
    }
  });

const notNull = (what: string) => `${what} cannot be null`;

export const updateMediaInput = z.object({
  originalFileName: fileName
    .nullable()
    .refine((value) => value !== null, notNull('originalFileName'))
    .optional(),
  description: description.nullable().optional(),
  tags: tags.nullable().optional(),
  category: category
    .nullable()
    .refine((value) => value !== null, notNull('category'))
    .optional(),
  isPublic: z
    .boolean()
    .nullable()
    .refine((value) => value !== null, notNull('isPublic'))
    .optional(),
});

export const usageInput = z.object({
  mediaIds: z
    .array(z.string().regex(/^[0-9a-f]{24}$/i, 'must be media file ids'))
    .min(1, 'must list at least 1 file')
    .max(20, 'must list at most 20 files')
    .transform((ids) => [...new Set(ids.map((id) => id.toLowerCase()))]),
  entityType: z.enum(
    ENTITY_TYPES as readonly StoredEntityType[] as [StoredEntityType, ...StoredEntityType[]],
  ),
  entityId: requiredText(100),
});

export const searchQuery = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

export const accessLifetime = z
  .number()
  .int()
  .min(60, 'must be at least 60 seconds')
  .max(7 * 24 * 3600, 'must be at most 604800 seconds (7 days)');
