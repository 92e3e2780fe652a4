import { OBJECT_ID_PATTERN, UUID_PATTERN, badUserInput, requiredText } from '@social/kit';
import { ObjectId } from 'mongodb';
import { z } from 'zod';
import { LIMITS } from './data/collections.js';
import { POST_TYPE, POST_VISIBILITY, SHARE_VISIBILITY } from './resolvers/enums.js';

/**
 * One schema per input type with the SDL's limits (STYLE 9), checked before anything is read or
 * stored. Enum values arrive as the stored spellings (resolvers/enums.ts maps them), dates as
 * `Date` (the DateTime scalar). Parse with kit `parseInput(schema, value, 'input')`, which names
 * the offending field (`input.poll.options`) in the BAD_USER_INPUT error.
 */

/** A post or comment id: an ObjectId in hex. */
/** A media file id: media's ObjectId in hex. */
const MEDIA_ID = OBJECT_ID_PATTERN;

export const MAX_MEDIA = 10;
export const MAX_AUDIENCE = 100;
export const MAX_POLL_DAYS = 30;

/** The ids among `ids` that can be post or comment ids, as ObjectIds (look-ups skip the rest). */
export function toObjectIds(ids: readonly string[]): ObjectId[] {
  return ids.filter((id) => OBJECT_ID_PATTERN.test(id)).map((id) => new ObjectId(id));
}

/**
 * A post or comment id argument of a mutation, lowercased; BAD_USER_INPUT naming `field` when it
 * cannot be one (a look-up query returns null instead, as for an unknown id).
 */
export function idArgument(id: string, field: string): string {
  if (!OBJECT_ID_PATTERN.test(id)) throw badUserInput(`${field} must be a post or comment id`, field);
  return id.toLowerCase();
}

/**
 * An enum argument as a stored value. Resolvers get enum values as the stored spellings, except
 * for SDL default values, which graphql-js fixes to the GraphQL names before the enum resolvers
 * apply: both are accepted.
 */
function storedEnum<const T extends Record<string, string>>(map: T) {
  const stored = Object.values(map) as [T[keyof T], ...T[keyof T][]];
  return z.preprocess(
    (value) => (typeof value === 'string' && Object.hasOwn(map, value) ? map[value] : value),
    z.enum(stored),
  );
}

const userId = z.string().regex(UUID_PATTERN, 'must be a user id');
const objectId = z.string().regex(OBJECT_ID_PATTERN, 'must be a valid id');

/** An optional text: trimmed, at most `max`; empty or null is no text (null). */
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value ? value : null));

const httpUrl = (message: string) =>
  z
    .string()
    .trim()
    .max(2048, 'must be at most 2048 characters')
    .refine((value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
      } catch {
        return false;
      }
    }, message);

const distinct = <T>(values: readonly T[], key: (value: T) => unknown = (value) => value) =>
  new Set(values.map(key)).size === values.length;

const audienceIds = z
  .array(userId)
  .min(1, 'must list at least 1 user')
  .max(MAX_AUDIENCE, `must list at most ${MAX_AUDIENCE} users`)
  .refine((ids) => distinct(ids, (id) => id.toLowerCase()), 'must not repeat a user');

const mediaIds = z
  .array(z.string().regex(MEDIA_ID, 'must be media file ids'))
  .max(MAX_MEDIA, `must list at most ${MAX_MEDIA} files`)
  .refine((ids) => distinct(ids, (id) => id.toLowerCase()), 'must not repeat a file')
  .transform((ids) => ids.map((id) => id.toLowerCase()));

export const locationInput = z
  .object({
    name: optionalText(200),
    address: optionalText(500),
    coordinates: z
      .object({
        latitude: z.number().min(-90, 'must be -90 to 90').max(90, 'must be -90 to 90'),
        longitude: z.number().min(-180, 'must be -180 to 180').max(180, 'must be -180 to 180'),
      })
      .nullish()
      .transform((value) => value ?? null),
  })
  .refine((location) => location.name !== null || location.coordinates !== null, {
    message: 'needs a name or coordinates',
  });

const linkInput = z.object({
  url: httpUrl('must be an absolute http(s) URL'),
  title: optionalText(300),
  description: optionalText(1000),
  imageUrl: httpUrl('must be an absolute http(s) URL')
    .nullish()
    .transform((value) => value ?? null),
});

const pollInput = z.object({
  question: requiredText(300),
  options: z
    .array(requiredText(100))
    .min(2, 'must have at least 2 options')
    .max(10, 'must have at most 10 options')
    .refine((options) => distinct(options, (option) => option.toLowerCase()), 'must not repeat an option'),
  allowMultipleAnswers: z.boolean().default(false),
  expiresAt: z
    .date()
    .nullish()
    .transform((value) => value ?? null)
    .refine((value) => value === null || value.getTime() > Date.now(), 'must be in the future')
    .refine(
      (value) => value === null || value.getTime() <= Date.now() + MAX_POLL_DAYS * 24 * 3600 * 1000,
      `must be at most ${MAX_POLL_DAYS} days ahead`,
    ),
});

export const createPostInput = z
  .object({
    content: optionalText(LIMITS.postContent),
    postType: storedEnum(POST_TYPE).default('Text'),
    visibility: storedEnum(POST_VISIBILITY).default('Friends'),
    audienceUserIds: audienceIds.nullish(),
    mediaIds: mediaIds.nullish().transform((ids) => ids ?? []),
    location: locationInput.nullish().transform((value) => value ?? null),
    link: linkInput.nullish().transform((value) => value ?? null),
    poll: pollInput.nullish().transform((value) => value ?? null),
  })
  .superRefine((input, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (input.visibility === 'Custom' && !input.audienceUserIds) {
      issue('audienceUserIds', 'is required for CUSTOM visibility');
    }
    if (input.postType === 'Poll' && !input.poll) issue('poll', 'is required for POLL posts');
    if (input.postType !== 'Poll' && input.poll) issue('poll', 'is only for POLL posts');
    if (input.postType === 'Link' && !input.link) issue('link', 'is required for LINK posts');
    if (input.postType !== 'Link' && input.link) issue('link', 'is only for LINK posts');
    if ((input.postType === 'Photo' || input.postType === 'Video') && input.mediaIds.length === 0) {
      issue('mediaIds', `are required for ${input.postType.toUpperCase()} posts`);
    }
    if (input.content === null && input.mediaIds.length === 0 && input.postType !== 'Poll') {
      issue('content', 'or mediaIds is required');
    }
  });
export type CreatePostInput = z.infer<typeof createPostInput>;

export const editPostInput = z.object({
  postId: objectId,
  /** Undefined or null: unchanged; an empty text removes the text. */
  content: z.string().max(LIMITS.postContent, `must be at most ${LIMITS.postContent} characters`).nullish(),
  visibility: storedEnum(POST_VISIBILITY).nullish(),
  audienceUserIds: audienceIds.nullish(),
  mediaIds: mediaIds.nullish(),
  /** Undefined: unchanged; null: removed. */
  location: locationInput.nullish(),
});
export type EditPostInput = z.infer<typeof editPostInput>;

export const commentContent = requiredText(LIMITS.commentContent);

export const addCommentInput = z.object({
  postId: objectId,
  content: commentContent,
  parentCommentId: objectId.nullish(),
});

export const sharePostInput = z.object({
  postId: objectId,
  caption: optionalText(LIMITS.shareCaption),
  visibility: storedEnum(SHARE_VISIBILITY).default('Friends'),
});

export const searchText = requiredText(200);

export const viewedIds = z
  .array(objectId)
  .min(1, 'must list at least 1 post')
  .max(50, 'must list at most 50 posts');

export const pollOptionIds = z
  .array(z.string().min(1))
  .min(1, 'must choose at least 1 option')
  .refine((ids) => distinct(ids), 'must not repeat an option');

/** The domain of a link preview: the URL's host, lowercase, without a leading "www.". */
export function domainOf(url: string): string {
  return new URL(url).hostname.toLowerCase().replace(/^www\./, '');
}
