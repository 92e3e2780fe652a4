/**
 * Keeps test/security/access-classification.json in step with supergraph.graphql.
 *
 *   npx tsx --conditions=development scripts/access-classification.ts           # report gaps
 *   npx tsx --conditions=development scripts/access-classification.ts --write   # add skeletons
 *
 * `--write` adds every new field as `"access": "UNCLASSIFIED"` (which the authorization test
 * rejects until a person decides it from the resolvers' rules) and drops fields the schema no
 * longer has. The classification itself is never guessed here.
 */
import { writeFileSync } from 'node:fs';
import {
  CLASSIFICATION_PATH,
  classificationGaps,
  readClassification,
  schemaFields,
  type FieldClass,
} from '../test/security/authorization-schema.js';

const write = process.argv.includes('--write');
const current = readClassification();
const fields = schemaFields();
const gaps = classificationGaps(current, fields);

for (const field of gaps.unclassified) console.log(`unclassified: ${field}`);
for (const field of gaps.stale) console.log(`gone from the schema: ${field}`);
for (const field of gaps.invalid) console.log(`invalid access level: ${field} (${current[field]?.access})`);

if (write) {
  const next: Record<string, FieldClass | { access: 'UNCLASSIFIED' }> = {};
  for (const field of fields) next[field] = current[field] ?? { access: 'UNCLASSIFIED' };
  writeFileSync(CLASSIFICATION_PATH, `${JSON.stringify(next, null, 2)}\n`);
  console.log(`wrote ${fields.length} fields (${gaps.unclassified.length} to classify)`);
} else {
  console.log(
    `${fields.length} fields, ${gaps.unclassified.length} unclassified, ${gaps.stale.length} stale`,
  );
  if (gaps.unclassified.length || gaps.stale.length || gaps.invalid.length) process.exitCode = 1;
}
