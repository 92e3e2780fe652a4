/**
 * docs/OPERATIONS.md's configuration reference is generated from the services' config schemas
 * (scripts/config-schemas.ts); `npm run check` fails when it drifts (`check:docs`).
 */
import { readFileSync } from 'node:fs';
import {
  DOC_PATH,
  END_MARKER,
  START_MARKER,
  renderDocument,
  renderReference,
} from '../../scripts/config-reference.js';
import { processVariables, processes, variableDocs } from '../../scripts/config-schemas.js';

const doc = readFileSync(DOC_PATH, 'utf8');
const section = doc.slice(doc.indexOf(START_MARKER), doc.indexOf(END_MARKER));

describe('configuration reference (docs/OPERATIONS.md)', () => {
  test('matches the schemas exactly (npm run docs:config writes it)', async () => {
    expect(await renderDocument(doc)).toBe(doc);
  });

  test('documents every variable of every process with its default', () => {
    for (const entry of processes) {
      for (const name of processVariables(entry.name).keys()) expect(section).toContain(`\`${name}\``);
    }
    expect(section).toMatch(/\| `BCRYPT_COST` +\| `12` +\|/);
    expect(section).toMatch(/\| `MONGO_URL` +\| \*\*required\*\* +\|/);
    expect(section).toMatch(/\| `LIMIT_MAX_DEPTH` +\| `12` +\|/);
    expect(section).toMatch(/\| `MAIL_OUTBOX` +\| `\.\/\.data\/mail-outbox\.jsonl` +\|/);
  });

  test('notices a changed default or a hand edit', async () => {
    const changedDefault = doc.replace(/(\| `BCRYPT_COST` +\| )`12`/, '$1`10`');
    const renamed = doc.replace('| `CHAT_GAP_FILL_MS`', '| `CHAT_GAP_MS`');
    for (const edited of [changedDefault, renamed]) {
      expect(edited).not.toBe(doc);
      // What --check compares: the edited file against what the schemas give.
      expect(await renderDocument(edited)).toBe(doc);
    }
  });

  test('fails on a variable without a description, and on a description nothing reads', () => {
    const docs = variableDocs as Record<string, unknown>;
    const saved = docs.CHAT_GAP_FILL_MS;
    try {
      delete docs.CHAT_GAP_FILL_MS;
      expect(() => renderReference()).toThrow('chat reads CHAT_GAP_FILL_MS, which has no description');
      docs.CHAT_GAP_FILL_MS = saved;
      docs.CHAT_GAP_MS = 'renamed since';
      expect(() => renderReference()).toThrow(
        'the description of CHAT_GAP_MS names a variable no process reads',
      );
    } finally {
      docs.CHAT_GAP_FILL_MS = saved;
      delete docs.CHAT_GAP_MS;
    }
  });
});
