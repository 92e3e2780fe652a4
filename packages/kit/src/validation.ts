import { z } from 'zod';
import { badUserInput } from './errors.js';

/**
 * Parses `value` with `schema` (one schema per input type, STYLE 9) or throws BAD_USER_INPUT naming
 * the first offending field (`input.fileName`), before any database work.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, path: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [path, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  throw badUserInput(`${field} ${issue?.message ?? 'is invalid'}`, field);
}

/** A user id (auth's UUIDs). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A MongoDB ObjectId in hex (ids of posts, comments, conversations, messages, media files). */
export const OBJECT_ID_PATTERN = /^[0-9a-f]{24}$/i;

/** A trimmed string of 1 to `max` characters. */
export function requiredText(max: number) {
  return z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
}
