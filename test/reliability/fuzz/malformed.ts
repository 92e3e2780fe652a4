import type { Random } from './random.js';

/** A request as sent on the wire: malformed documents, bodies, content types and methods. */
export interface RawRequest {
  readonly index: number;
  readonly label: string;
  readonly method: 'GET' | 'POST';
  /** Appended to the gateway URL (GET requests carry the operation here). */
  readonly search?: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const body = (value: unknown) => JSON.stringify(value);

const nestedSelection = (levels: number) =>
  `{ me ${'{ friends { edges { node '.repeat(levels)}{ id }${' } } }'.repeat(levels)} }`;

/** Malformed GraphQL documents, as `{ query }` bodies. */
const DOCUMENTS: ReadonlyArray<[string, string]> = [
  ['unclosed brace', '{ me { id }'],
  ['stray braces', '}}}}'],
  ['empty document', ''],
  ['whitespace document', '   \n\t '],
  ['comment only', '# nothing here'],
  ['garbage', '!!!@@@###'],
  ['bad string', '{ user(id: "unterminated) { id } }'],
  ['bad escape', '{ user(id: "\\uZZZZ") { id } }'],
  ['lone surrogate escape', '{ user(id: "\\ud800") { id } }'],
  ['unknown field', '{ doesNotExist }'],
  ['unknown nested field', '{ me { id passwordHash } }'],
  ['leaf with selection', '{ me { id { x } } }'],
  ['object without selection', '{ me }'],
  ['unknown argument', '{ me(id: "1") { id } }'],
  ['wrong argument type', '{ user(id: {a: 1}) { id } }'],
  ['missing required argument', '{ user { id } }'],
  ['int overflow literal', '{ feed(first: 99999999999999999999) { edges { cursor } } }'],
  ['float for int', '{ feed(first: 1.5) { edges { cursor } } }'],
  ['unknown type condition', '{ me { ... on Nope { id } } }'],
  ['unused fragment', 'fragment F on User { id } { me { id } }'],
  ['fragment cycle', 'fragment A on User { ...B } fragment B on User { ...A } { me { ...A } }'],
  ['unknown directive', '{ me @nope { id } }'],
  ['duplicate operation names', 'query A { me { id } } query A { me { id } }'],
  ['anonymous among many', '{ me { id } } query B { me { id } }'],
  ['undefined variable', 'query { user(id: $id) { id } }'],
  ['unused variable', 'query ($x: Int) { me { id } }'],
  ['variable of unknown type', 'query ($x: Nope) { me { id } }'],
  ['subscription over HTTP', 'subscription { notificationAdded { id } }'],
  ['two subscription roots', 'subscription { notificationAdded { id } unreadNotificationCountChanged }'],
  ['mutation on query root', 'mutation { me { id } }'],
  ['too many aliases', `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: me { id }`).join(' ')} }`],
  ['too deep', nestedSelection(8)],
  ['too many root fields', `{ ${Array.from({ length: 12 }, (_, i) => `r${i}: jwks`).join(' ')} }`],
  ['too many tokens', `{ me { ${'id '.repeat(2000)} } }`],
  ['too many directives', `{ me { id ${'@include(if: true) '.repeat(80)} } }`],
  [
    'too costly',
    '{ feed(first: 50) { edges { node { comments(first: 50) { edges { node { author { id } } } } } } } }',
  ],
  ['introspection', '{ __schema { types { name } } }'],
  [
    'deep introspection',
    `{ __schema { types { ${'fields { type { ofType { '.repeat(8)}name${' } } }'.repeat(8)} } } }`,
  ],
  ['typename only', '{ __typename }'],
  ['huge alias name', `{ ${'a'.repeat(100_000)}: me { id } }`],
  ['nested lists literal', `{ markPostsViewed(ids: ${'['.repeat(500)}"x"${']'.repeat(500)}) }`],
  [
    'deep object literal',
    `mutation { updateProfile(input: ${'{bio: '.repeat(300)}"x"${'}'.repeat(300)}) { id } }`,
  ],
  ['nul in document', '{ me { id } }\u0000'],
  ['bom in document', '\ufeff{ me { id } }'],
];

const deepJson = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

/** Malformed requests: bodies, content types, methods, batches, variables and extensions. */
function requests(random: Random): Array<Omit<RawRequest, 'index'>> {
  const valid = '{ __typename }';
  const out: Array<Omit<RawRequest, 'index'>> = DOCUMENTS.map(([label, query]) => ({
    label: `document: ${label}`,
    method: 'POST',
    headers: JSON_TYPE,
    body: body({ query }),
  }));
  out.push(
    { label: 'body: not JSON', method: 'POST', headers: JSON_TYPE, body: 'not json' },
    { label: 'body: truncated JSON', method: 'POST', headers: JSON_TYPE, body: '{"query": "{ me { id } }"' },
    { label: 'body: empty', method: 'POST', headers: JSON_TYPE, body: '' },
    { label: 'body: null', method: 'POST', headers: JSON_TYPE, body: 'null' },
    { label: 'body: number', method: 'POST', headers: JSON_TYPE, body: '42' },
    { label: 'body: string', method: 'POST', headers: JSON_TYPE, body: '"{ me { id } }"' },
    { label: 'body: deeply nested JSON', method: 'POST', headers: JSON_TYPE, body: deepJson(100_000) },
    {
      label: 'body: deeply nested variables',
      method: 'POST',
      headers: JSON_TYPE,
      body: `{"query": "query ($x: JSON) { __typename }", "variables": {"x": ${deepJson(50_000)}}}`,
    },
    {
      label: 'body: over 1 MB',
      method: 'POST',
      headers: JSON_TYPE,
      body: body({ query: valid, variables: { x: 'a'.repeat(1_100_000) } }),
    },
    { label: 'body: query is a number', method: 'POST', headers: JSON_TYPE, body: body({ query: 42 }) },
    {
      label: 'body: query is an object',
      method: 'POST',
      headers: JSON_TYPE,
      body: body({ query: { $gt: '' } }),
    },
    { label: 'body: no query', method: 'POST', headers: JSON_TYPE, body: body({ variables: {} }) },
    {
      label: 'body: variables a string',
      method: 'POST',
      headers: JSON_TYPE,
      body: body({ query: valid, variables: '{"a":1}' }),
    },
    {
      label: 'body: variables an array',
      method: 'POST',
      headers: JSON_TYPE,
      body: body({ query: valid, variables: [1, 2] }),
    },
    {
      label: 'body: operationName not found',
      method: 'POST',
      headers: JSON_TYPE,
      body: body({ query: valid, operationName: 'Nope' }),
    },
    {
      label: 'body: operationName an object',
      method: 'POST',
      headers: JSON_TYPE,
      body: body({ query: valid, operationName: { $ne: null } }),
    },
    {
      label: 'body: extensions a string',
      method: 'POST',
      headers: JSON_TYPE,
      body: body({ query: valid, extensions: 'x' }),
    },
    {
      label: 'body: bogus persisted query',
      method: 'POST',
      headers: JSON_TYPE,
      body: body({ extensions: { persistedQuery: { version: 1, sha256Hash: 'deadbeef' } } }),
    },
    {
      label: 'body: persisted query hash mismatch',
      method: 'POST',
      headers: JSON_TYPE,
      body: body({
        query: valid,
        extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } },
      }),
    },
    {
      label: 'body: persisted query bad version',
      method: 'POST',
      headers: JSON_TYPE,
      body: body({ extensions: { persistedQuery: { version: 99, sha256Hash: { $gt: '' } } } }),
    },
    {
      label: 'body: proto pollution',
      method: 'POST',
      headers: JSON_TYPE,
      body: '{"query": "{ __typename }", "__proto__": {"isAdmin": true}, "constructor": {"prototype": {"x": 1}}}',
    },
    { label: 'batch: empty', method: 'POST', headers: JSON_TYPE, body: '[]' },
    {
      label: 'batch: two',
      method: 'POST',
      headers: JSON_TYPE,
      body: body([{ query: valid }, { query: valid }]),
    },
    {
      label: 'batch: hundred',
      method: 'POST',
      headers: JSON_TYPE,
      body: body(Array.from({ length: 100 }, () => ({ query: valid }))),
    },
    { label: 'batch: garbage entries', method: 'POST', headers: JSON_TYPE, body: '[1, null, "x", {}]' },
    {
      label: 'content-type: text/plain',
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: body({ query: valid }),
    },
    {
      label: 'content-type: form',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=%7B__typename%7D',
    },
    {
      label: 'content-type: multipart',
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ __typename }"}\r\n--x--\r\n',
    },
    { label: 'content-type: missing', method: 'POST', headers: {}, body: body({ query: valid }) },
    {
      label: 'content-type: bogus charset',
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-99' },
      body: body({ query: valid }),
    },
    {
      label: 'content-type: graphql',
      method: 'POST',
      headers: { 'content-type': 'application/graphql' },
      body: valid,
    },
    {
      label: 'GET: query',
      method: 'GET',
      search: `?query=${encodeURIComponent(valid)}`,
      headers: { 'apollo-require-preflight': 'true' },
    },
    { label: 'GET: no query', method: 'GET', search: '', headers: { 'apollo-require-preflight': 'true' } },
    {
      label: 'GET: mutation',
      method: 'GET',
      search: `?query=${encodeURIComponent('mutation { markAllNotificationsRead }')}`,
      headers: { 'apollo-require-preflight': 'true' },
    },
    {
      label: 'GET: bad variables',
      method: 'GET',
      search: `?query=${encodeURIComponent(valid)}&variables=%7Bnope`,
      headers: { 'apollo-require-preflight': 'true' },
    },
    {
      label: 'GET: bad extensions',
      method: 'GET',
      search: `?query=x&extensions=%5B%5D`,
      headers: { 'apollo-require-preflight': 'true' },
    },
    {
      label: 'GET: repeated params',
      method: 'GET',
      search: `?query=a&query=b`,
      headers: { 'apollo-require-preflight': 'true' },
    },
    {
      label: 'auth: garbage bearer',
      method: 'POST',
      headers: { ...JSON_TYPE, authorization: 'Bearer not.a.jwt' },
      body: body({ query: '{ me { id } }' }),
    },
    {
      label: 'auth: empty bearer',
      method: 'POST',
      headers: { ...JSON_TYPE, authorization: 'Bearer ' },
      body: body({ query: '{ me { id } }' }),
    },
    {
      label: 'auth: basic scheme',
      method: 'POST',
      headers: { ...JSON_TYPE, authorization: 'Basic YTpi' },
      body: body({ query: '{ me { id } }' }),
    },
    {
      label: 'auth: huge header',
      method: 'POST',
      headers: { ...JSON_TYPE, authorization: `Bearer ${'a'.repeat(8_000)}` },
      body: body({ query: '{ me { id } }' }),
    },
  );
  // Random byte soup, as JSON and as documents.
  for (let i = 0; i < 4; i += 1) {
    const soup = Array.from({ length: 1 + random.int(200) }, () =>
      String.fromCharCode(random.int(0x3000)),
    ).join('');
    out.push({ label: 'body: random characters', method: 'POST', headers: JSON_TYPE, body: soup });
    out.push({
      label: 'document: random characters',
      method: 'POST',
      headers: JSON_TYPE,
      body: body({ query: soup }),
    });
  }
  return out;
}

/** `count` malformed requests (every kind at least once, then random picks). */
export function malformedRequests(random: Random, count: number, firstIndex: number): RawRequest[] {
  const all = requests(random);
  const chosen = [...all];
  while (chosen.length < count) chosen.push(random.pick(all));
  return chosen
    .slice(0, Math.max(count, all.length))
    .map((request, i) => ({ ...request, index: firstIndex + i }));
}

/** Corrupts a valid operation's text: truncation, a swapped character, a duplicated brace. */
export function corruptDocument(query: string, random: Random): string {
  const at = random.int(Math.max(1, query.length));
  switch (random.int(4)) {
    case 0:
      return query.slice(0, at);
    case 1:
      return `${query.slice(0, at)}${random.pick(['{', '}', '(', ')', '"', '$', '@', ':', '!', '\u0000'])}${query.slice(at + 1)}`;
    case 2:
      return `${query.slice(0, at)}${query.slice(at).replace(/\w+/, 'nosuchfield')}`;
    default:
      return `${query} }`;
  }
}
