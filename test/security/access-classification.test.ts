/**
 * The authorization matrix's inputs are complete (issue 13): every field of the supergraph is
 * classified in access-classification.json, and every Query, Mutation and Subscription field has
 * a row in the matrix. Fast and without a stack, so a new field fails `npm test` at once; the
 * matrix itself (authorization.test.ts) runs with the long suites.
 */
import { rows, subscriptionRows } from './authorization-cells.js';
import {
  classificationGaps,
  loadSupergraph,
  readClassification,
  schemaFields,
} from './authorization-schema.js';

const classification = readClassification();
const { schema } = loadSupergraph();

test('every field of the supergraph is classified, and only those', () => {
  const fields = schemaFields(schema);
  const gaps = classificationGaps(classification, fields);
  expect(gaps).toEqual({ unclassified: [], stale: [], invalid: [] });
  // A field added to the schema, one removed, and a skeleton nobody decided are all caught.
  const { ['User.email']: _email, ...withoutEmail } = classification;
  const drifted = { ...withoutEmail, 'User.shoeSize': { access: 'public' as const } };
  expect(classificationGaps(drifted, fields)).toEqual({
    unclassified: ['User.email'],
    stale: ['User.shoeSize'],
    invalid: [],
  });
  const undecided = { ...classification, 'Query.me': { access: 'UNCLASSIFIED' as never } };
  expect(classificationGaps(undecided, fields).invalid).toEqual(['Query.me']);
});

test('every Query, Mutation and Subscription field has a row in the matrix', () => {
  const covered = new Set([...rows(), ...subscriptionRows()].map((row) => row.field));
  const roots = schemaFields(schema).filter((field) => /^(Query|Mutation|Subscription)\./.test(field));
  expect(roots.filter((field) => !covered.has(field))).toEqual([]);
  expect([...covered].filter((field) => !roots.includes(field))).toEqual([]);
});
