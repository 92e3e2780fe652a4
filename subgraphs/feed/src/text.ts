import { LIMITS } from './data/collections.js';

/**
 * Hashtags and @mentions in post and comment text, extracted server-side (clients send plain
 * text). A tag is letters, digits and underscore (the seed's rule), up to 50 characters, and
 * starts after a non-word character; a mention is a username (3 to 50 of the same characters).
 */

const HASHTAG = /(?<![\p{L}\p{N}_&#])#([A-Za-z0-9_]+)/gu;
const MENTION = /(?<![\p{L}\p{N}_@.])@([A-Za-z0-9_]+)/gu;

/** Most distinct mentions one text resolves (the rest stay plain text). */
export const MAX_MENTIONS = 50;
/** Most distinct hashtags one post records. */
export const MAX_HASHTAGS = 30;

/** Hashtags of `text`, lowercase, without '#', in order of first appearance, distinct. */
export function extractHashtags(text: string | null | undefined): string[] {
  if (!text) return [];
  const tags: string[] = [];
  for (const match of text.matchAll(HASHTAG)) {
    const tag = match[1]!.toLowerCase();
    if (tag.length > LIMITS.tag || tags.includes(tag)) continue;
    tags.push(tag);
    if (tags.length === MAX_HASHTAGS) break;
  }
  return tags;
}

/** Usernames @mentioned in `text`, lowercase, in order of first appearance, distinct. */
export function extractMentions(text: string | null | undefined): string[] {
  if (!text) return [];
  const names: string[] = [];
  for (const match of text.matchAll(MENTION)) {
    const name = match[1]!.toLowerCase();
    if (name.length < 3 || name.length > 50 || names.includes(name)) continue;
    names.push(name);
    if (names.length === MAX_MENTIONS) break;
  }
  return names;
}

/** A tag argument as clients give it: with or without '#', any case. Null when it cannot be a tag. */
export function normalizeTag(input: string): string | null {
  const tag = input.trim().replace(/^#/, '').toLowerCase();
  return /^[a-z0-9_]{1,50}$/.test(tag) ? tag : null;
}
