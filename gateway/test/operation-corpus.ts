import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

/**
 * The GraphQL operations the repo's tests, test helpers and benchmarks send, read from their
 * sources: template literals and string constants that parse as GraphQL, with `${CONSTANT}`
 * interpolations of other such constants resolved. They are the realistic operations the default
 * limits must admit.
 */
export interface CorpusOperation {
  readonly file: string;
  readonly source: string;
  readonly document: DocumentNode;
}

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE_DIRS = ['subgraphs', 'test', 'bench', 'packages/testing/src'];
/** The fuzzer's operations are hostile on purpose (over the limits, malformed): not client operations. */
const HOSTILE_DIRS = new Set([join('test', 'reliability', 'fuzz')]);

function sourceFiles(dir: string, into: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'generated') continue;
    const path = join(dir, entry);
    if (HOSTILE_DIRS.has(relative(repoRoot, path))) continue;
    if (statSync(path).isDirectory()) sourceFiles(path, into);
    else if (/\.ts$/.test(entry) && !entry.endsWith('.d.ts')) into.push(path);
  }
  return into;
}

interface Literal {
  readonly start: number;
  readonly parts: string[];
  /** The `${...}` expressions between the parts. */
  readonly expressions: string[];
}

/** Template literals and quoted strings of a TypeScript source (nested templates skipped). */
function literalsOf(text: string): Literal[] {
  const literals: Literal[] = [];
  let i = 0;
  const readTemplate = (): Literal => {
    const start = i;
    i += 1;
    const parts: string[] = [];
    const expressions: string[] = [];
    let part = '';
    while (i < text.length && text[i] !== '`') {
      if (text[i] === '\\') {
        part += text.slice(i, i + 2);
        i += 2;
      } else if (text.startsWith('${', i)) {
        i += 2;
        let depth = 1;
        let expression = '';
        while (i < text.length && depth > 0) {
          if (text[i] === '`') {
            readTemplate();
            expression += '<nested>';
            continue;
          }
          if (text[i] === '{') depth += 1;
          if (text[i] === '}') depth -= 1;
          if (depth > 0) expression += text[i];
          i += 1;
        }
        expressions.push(expression.trim());
        parts.push(part);
        part = '';
      } else {
        part += text[i];
        i += 1;
      }
    }
    parts.push(part);
    i += 1;
    return { start, parts, expressions };
  };
  while (i < text.length) {
    const char = text[i];
    if (char === '/' && text[i + 1] === '/') {
      i = text.indexOf('\n', i);
      if (i < 0) break;
    } else if (char === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 2;
      if (i < 2) break;
    } else if (char === '`') {
      literals.push(readTemplate());
    } else if (char === "'" || char === '"') {
      const start = i;
      let value = '';
      i += 1;
      while (i < text.length && text[i] !== char && text[i] !== '\n') {
        if (text[i] === '\\') {
          value += text[i + 1] ?? '';
          i += 2;
        } else {
          value += text[i];
          i += 1;
        }
      }
      i += 1;
      literals.push({ start, parts: [value], expressions: [] });
    } else {
      i += 1;
    }
  }
  return literals;
}

const OPERATION_START = /^\s*(query\b|mutation\b|subscription\b|fragment\b|\{)/;

/** Every operation of the repo's test and benchmark sources that is valid against `schema`. */
export function repoOperations(schema: GraphQLSchema): CorpusOperation[] {
  const files = SOURCE_DIRS.flatMap((dir) => sourceFiles(join(repoRoot, dir)));
  const constants = new Map<string, string>();
  const pending: Array<{ file: string; name: string | undefined; literal: Literal }> = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const literal of literalsOf(text)) {
      const declared = /(?:const|let)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*$/.exec(
        text.slice(Math.max(0, literal.start - 120), literal.start),
      );
      pending.push({ file, name: declared?.[1], literal });
    }
  }
  // Constants interpolate other constants: resolve until nothing changes.
  const resolved = new Map<Literal, string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const { name, literal } of pending) {
      if (resolved.has(literal)) continue;
      const values = literal.expressions.map((e) => constants.get(e));
      if (values.some((v) => v === undefined)) continue;
      const text = literal.parts.reduce((acc, part, index) => acc + (values[index - 1] ?? '') + part);
      resolved.set(literal, text);
      if (name && !constants.has(name)) constants.set(name, text);
      changed = true;
    }
  }
  const operations: CorpusOperation[] = [];
  const seen = new Set<string>();
  for (const { file, literal } of pending) {
    const source = resolved.get(literal);
    if (source === undefined || !OPERATION_START.test(source) || seen.has(source)) continue;
    seen.add(source);
    let document: DocumentNode;
    try {
      document = parse(source);
    } catch {
      continue;
    }
    if (!document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION)) continue;
    // Operations aimed at one subgraph (`_entities`) or meant to fail validation are not client traffic.
    if (validate(schema, document).length > 0) continue;
    operations.push({ file: relative(repoRoot, file), source, document });
  }
  return operations;
}
