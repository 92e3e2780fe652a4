/** Hashtag and mention extraction, tag arguments and event previews (pure functions). */
import { preview } from '../src/events.js';
import { extractHashtags, extractMentions, normalizeTag } from '../src/text.js';

test('hashtags: lowercase, distinct, in order, only after a non-word character', () => {
  expect(extractHashtags('#Go #rust_Lang and #go again; a#b, &#39; x#y #123 #')).toEqual([
    'go',
    'rust_lang',
    '123',
  ]);
  expect(extractHashtags(`(#one) "#two", #three! #${'a'.repeat(51)} #${'b'.repeat(50)}`)).toEqual([
    'one',
    'two',
    'three',
    'b'.repeat(50),
  ]);
  expect(extractHashtags(null)).toEqual([]);
  expect(extractHashtags(Array.from({ length: 40 }, (_, i) => `#t${i}`).join(' '))).toHaveLength(30);
});

test('mentions: usernames of 3 to 50 characters, not e-mail addresses', () => {
  expect(extractMentions('hi @Alice_1, @bob and @ALICE_1; mail carol@example.com, @xy, @@dave')).toEqual([
    'alice_1',
    'bob',
  ]);
  expect(extractMentions(`@${'u'.repeat(51)} @${'v'.repeat(50)}`)).toEqual(['v'.repeat(50)]);
});

test('tag arguments and previews', () => {
  expect(normalizeTag('#News')).toBe('news');
  expect(normalizeTag('  news_2 ')).toBe('news_2');
  expect(normalizeTag('two words')).toBeNull();
  expect(normalizeTag('#')).toBeNull();
  expect(preview('  a\n\n b  ')).toBe('a b');
  expect(preview('')).toBeNull();
  const long = preview('x'.repeat(300))!;
  expect(long).toHaveLength(100);
  expect(long.endsWith('…')).toBe(true);
});
