import type { Random } from './random.js';

/** An enum value: printed bare in an inline literal (`PUBLIC`), as a string in variables. */
export class EnumValue {
  constructor(readonly name: string) {}
  toJSON(): string {
    return this.name;
  }
}

/** Real things the fuzz viewers own or can see, so valid-looking operations reach deep code paths. */
export interface FuzzFixtures {
  /** Real ids by kind (users, posts, comments, conversations, messages, notifications, ...). */
  readonly ids: Readonly<Record<string, readonly string[]>>;
  /** Real cursors read from connections (then tampered with). */
  readonly cursors: readonly string[];
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

const deepObject = (levels: number): unknown => {
  let value: unknown = { leaf: true };
  for (let i = 0; i < levels; i += 1) value = { nested: value };
  return value;
};
const deepList = (levels: number): unknown => {
  let value: unknown = ['leaf'];
  for (let i = 0; i < levels; i += 1) value = [value];
  return value;
};

/** Hostile text: sizes, control characters, unicode edge cases, injection fragments. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '   \t\n\r  ',
  'a'.repeat(100_000),
  '\u0000',
  'abc\u0000def\u0001\u0007\u001b[31m\u001f',
  '\ud800',
  'lone \udfff surrogate',
  '\u202eevil\u202c',
  '\u200b\u200c\u200d\ufeff',
  '👩‍👩‍👧‍👦🏳️‍🌈'.repeat(50),
  'Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032d\u0308\u0307l\u0356\u032d\u0344g\u032a\u0354o',
  '\u0000'.repeat(1000),
  '\uffff\ufffe\ufffd',
  '𝕳𝖊𝖑𝖑𝖔',
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  '1; SELECT pg_sleep(1); --',
  '{"$gt": ""}',
  '{"$ne": null}',
  '$where',
  'this.password.match(/.*/)//+%00',
  '$gt',
  '{"__proto__": {"isAdmin": true}}',
  '__proto__',
  'constructor',
  'prototype',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '#',
  '@',
  '\\',
  '"',
  '%s%s%s%n',
  'http://169.254.169.254/latest/meta-data/',
  'javascript:alert(1)',
  'file:///etc/passwd',
];

/** Ids that are malformed, of the wrong kind, or real-looking but unknown. */
export const HOSTILE_IDS: readonly string[] = [
  '',
  ' ',
  '0',
  '-1',
  'not-an-id',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
  '3F2504E0-4F89-11D3-9A0C-0305E82C3301',
  '3f2504e04f8911d39a0c0305e82c3301',
  '507f1f77bcf86cd799439011',
  '000000000000000000000000',
  'ffffffffffffffffffffffff',
  'zzzzzzzzzzzzzzzzzzzzzzzz',
  '507f1f77bcf86cd79943901',
  '507f1f77bcf86cd7994390111',
  '{"$gt": ""}',
  '{"$ne": null}',
  "' OR 1=1 --",
  '../../etc/passwd',
  '\u0000',
  '\ud800',
  'a'.repeat(10_000),
  '１２３',
  b64('Post:507f1f77bcf86cd799439011'),
  b64('User:00000000-0000-0000-0000-000000000000'),
  'conversation:1',
  '1e400',
  '9'.repeat(400),
];

/** Cursors that are not ours: garbage, wrong encodings, decoded JSON with operators. */
export const HOSTILE_CURSORS: readonly string[] = [
  '',
  'AAAA',
  '!!!!',
  '====',
  'not base64 at all',
  b64('{"$gt": ""}'),
  b64url('{"$where": "sleep(1000)"}'),
  b64('{"createdAt": {"$gt": ""}, "id": {"$ne": null}}'),
  b64('{"createdAt": "not-a-date", "id": "x"}'),
  b64('{"createdAt": 1e309, "id": null}'),
  b64('{"__proto__": {"isAdmin": true}}'),
  b64('[]'),
  b64('null'),
  b64('"string"'),
  b64('12345'),
  b64('{"o": -1}'),
  b64('{"offset": 99999999999}'),
  b64('{"offset": -5}'),
  b64('arrayconnection:-1'),
  b64('arrayconnection:99999999999999999999'),
  b64('2026-11-21T00:00:00.000Z|507f1f77bcf86cd799439011'),
  b64('9999-99-99T99:99:99Z:zzz'),
  b64('0|' + 'x'.repeat(5000)),
  b64(JSON.stringify(deepObject(300))),
  b64('\u0000\ud800'),
  'a'.repeat(50_000),
];

export const HOSTILE_INTS: readonly unknown[] = [
  0,
  -1,
  -50,
  51,
  1000,
  2147483647,
  -2147483648,
  2147483648,
  -2147483649,
  1e10,
  Number.MAX_SAFE_INTEGER,
  1.5,
  '5',
  true,
  null,
  [],
  {},
];

export const HOSTILE_FLOATS: readonly unknown[] = [
  0,
  -0,
  -1,
  91,
  -181,
  1e308,
  -1e308,
  5e-324,
  1e300,
  Number.MAX_SAFE_INTEGER,
  '1.5',
  '1e309',
  'NaN',
  'Infinity',
  true,
  null,
];

export const HOSTILE_DATES: readonly unknown[] = [
  '',
  'not-a-date',
  '2026-02-30T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '0000-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2026-11-21T25:61:61Z',
  '2026-11-21T00:00:00',
  '2026-11-21',
  '+275760-09-13T00:00:00.000Z',
  '{"$gt": ""}',
  0,
  -8.64e15 - 1,
  1e20,
  true,
  {},
];

/** JSON scalar payloads: NoSQL operator objects, prototype pollution, deep and odd shapes. */
export const HOSTILE_JSON: readonly unknown[] = [
  { $gt: '' },
  { $ne: null },
  { $where: 'sleep(1000)' },
  { $expr: { $function: { body: 'function() { while (true) {} }', args: [], lang: 'js' } } },
  { $set: { role: 'Admin' } },
  JSON.parse('{"__proto__": {"isAdmin": true}, "role": "Admin"}') as unknown,
  JSON.parse('{"__proto__": {"polluted": "yes"}}') as unknown,
  { constructor: { prototype: { polluted: 'yes' } } },
  { 'a.b': 1, $c: 2, '': 3 },
  { toString: 'not a function', valueOf: 1, hasOwnProperty: 'x' },
  deepObject(200),
  deepList(200),
  [],
  {},
  '',
  'string',
  1e308,
  -0,
  true,
  null,
  Array.from({ length: 5000 }, (_, i) => i),
  { big: 'x'.repeat(100_000) },
  { nul: '\u0000', surrogate: '\ud800' },
];

/** A plausible value for a string argument or input field, chosen by its name. */
export function plausibleString(name: string, random: Random): string {
  const n = random.int(1_000_000);
  const lower = name.toLowerCase();
  if (lower.includes('email')) return `fuzz_${n}@example.com`;
  if (lower === 'username' || lower === 'identifier') return `fz_${n}`;
  if (lower.includes('password')) return `Wrong-Pass-${n}!`;
  if (lower.includes('url') || lower.includes('website') || lower === 'link') return 'https://example.com/x';
  if (lower.includes('emoji')) return random.pick(['👍', '❤️', '😂']);
  if (lower === 'tag' || lower.includes('hashtag')) return 'fuzz';
  if (lower.includes('mime') || lower.includes('contenttype')) return 'image/png';
  if (lower.includes('filename')) return 'photo.png';
  if (lower === 'code') return '123456';
  if (lower.includes('token')) return `token-${n}`;
  if (lower.includes('language')) return 'English';
  if (lower.includes('country')) return 'US';
  if (lower.includes('phone')) return '+15555550123';
  if (lower.includes('color')) return '#336699';
  if (lower.includes('timezone')) return 'Europe/Berlin';
  if (lower === 'query') return 'fuzz';
  if (lower.includes('name')) return `Fuzz ${n}`;
  return `fuzz text ${n} #fuzz`;
}

/** Picks a real id of the kind an argument name suggests (any real id when it suggests none). */
export function plausibleId(name: string, fixtures: FuzzFixtures, random: Random): string {
  const lower = name.toLowerCase();
  const kinds = Object.keys(fixtures.ids).filter((kind) => lower.includes(kind.toLowerCase()));
  const pool = kinds.flatMap((kind) => fixtures.ids[kind] ?? []);
  const all = Object.values(fixtures.ids).flat();
  return random.pick(pool.length > 0 && random.chance(0.8) ? pool : all.length > 0 ? all : HOSTILE_IDS);
}

/** A cursor: real, real but tampered with, or hostile. */
export function fuzzCursor(fixtures: FuzzFixtures, random: Random): string {
  if (fixtures.cursors.length > 0 && random.chance(0.4)) {
    const real = random.pick(fixtures.cursors);
    if (random.chance(0.3)) return real;
    const decoded = Buffer.from(real, 'base64').toString('utf8');
    const tamper = random.int(4);
    if (tamper === 0) return real.slice(0, Math.max(1, real.length - 3));
    if (tamper === 1) return b64(decoded.replace(/[0-9a-f]/, 'z'));
    if (tamper === 2) return b64(decoded + '{"$gt":""}');
    return real.split('').reverse().join('');
  }
  return random.pick(HOSTILE_CURSORS);
}
