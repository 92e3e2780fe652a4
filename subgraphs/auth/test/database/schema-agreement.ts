/**
 * Compares the Prisma schema, as Prisma itself parses it (the DMMF handed to generators), with a
 * migrated database: tables, columns (type, length/precision, nullability, default), primary keys,
 * unique and plain indexes, foreign keys and their ON DELETE actions, in both directions.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type pg from 'pg';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const AUTH_SCHEMA = join(repoRoot, 'prisma', 'auth', 'schema.prisma');

export interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
  hasDefaultValue: boolean;
  default?: { name: string; args: unknown[] } | string | number | boolean | unknown[];
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}

export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

export interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string; sortOrder?: 'asc' | 'desc' }[];
}

export interface Datamodel {
  models: DmmfModel[];
  indexes: DmmfIndex[];
}

/**
 * The DMMF datamodel of `schemaPath`, from `prisma generate` with the client generator swapped for
 * a generator that only writes the DMMF down (nothing is generated).
 */
export async function loadDatamodel(schemaPath: string = AUTH_SCHEMA): Promise<Datamodel> {
  const dir = mkdtempSync(join(tmpdir(), 'auth-dmmf-'));
  try {
    const generator = fileURLToPath(new URL('./prisma-dmmf-generator.mjs', import.meta.url));
    const original = readFileSync(schemaPath, 'utf8');
    const schema = original.replace(/generator\s+client\s*\{[^}]*\}/, (block) =>
      block
        .replace(/provider\s*=\s*"[^"]*"/, `provider = "node ${generator}"`)
        .replace(/output\s*=\s*"[^"]*"/, `output = "${join(dir, 'unused')}"`),
    );
    if (!schema.includes(generator))
      throw new Error(`No "generator client" block with a provider in ${schemaPath}`);
    const patched = join(dir, 'schema.prisma');
    const out = join(dir, 'datamodel.json');
    writeFileSync(patched, schema);
    await promisify(execFile)(
      process.execPath,
      [join(repoRoot, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', patched],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          DMMF_OUT: out,
          PRISMA_SCHEMA_ENGINE_BINARY: join(repoRoot, 'prisma', 'engines', 'schema-engine-stub'),
          CHECKPOINT_DISABLE: '1',
          PRISMA_HIDE_UPDATE_MESSAGE: '1',
        },
      },
    );
    return JSON.parse(readFileSync(out, 'utf8')) as Datamodel;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface DbColumn {
  table: string;
  column: string;
  dataType: string;
  length: number | null;
  precision: number | null;
  nullable: boolean;
  default: string | null;
}

export interface DbIndex {
  table: string;
  name: string;
  unique: boolean;
  primary: boolean;
  /** Column names, or the expression for an expression column. */
  columns: string[];
  descending: boolean[];
  predicate: string | null;
}

export interface DbForeignKey {
  table: string;
  name: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
}

export interface DbSnapshot {
  tables: string[];
  columns: DbColumn[];
  indexes: DbIndex[];
  foreignKeys: DbForeignKey[];
}

const ON_DELETE: Record<string, string> = {
  a: 'NoAction',
  r: 'Restrict',
  c: 'Cascade',
  n: 'SetNull',
  d: 'SetDefault',
};

/** Tables, columns, indexes and foreign keys of the `public` schema. */
export async function snapshotDatabase(client: pg.Client): Promise<DbSnapshot> {
  const tables = await client.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const columns = await client.query<DbColumn>(
    `SELECT table_name AS "table", column_name AS "column", data_type AS "dataType",
            character_maximum_length AS "length", datetime_precision AS "precision",
            is_nullable = 'YES' AS "nullable", column_default AS "default"
     FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  );
  const indexes = await client.query<DbIndex>(
    `SELECT t.relname AS "table", i.relname AS "name", ix.indisunique AS "unique", ix.indisprimary AS "primary",
            ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k + 1, true)
                  FROM generate_subscripts(ix.indkey, 1) AS k ORDER BY k) AS "columns",
            ARRAY(SELECT (ix.indoption[k] & 1) = 1
                  FROM generate_subscripts(ix.indoption, 1) AS k ORDER BY k) AS "descending",
            pg_get_expr(ix.indpred, ix.indrelid) AS "predicate"
     FROM pg_index ix
     JOIN pg_class i ON i.oid = ix.indexrelid
     JOIN pg_class t ON t.oid = ix.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public' ORDER BY 1, 2`,
  );
  const foreignKeys = await client.query<DbForeignKey & { onDelete: string }>(
    `SELECT t.relname AS "table", c.conname AS "name",
            ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS "columns",
            r.relname AS "refTable",
            ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS "refColumns",
            c.confdeltype AS "onDelete"
     FROM pg_constraint c
     JOIN pg_class t ON t.oid = c.conrelid
     JOIN pg_class r ON r.oid = c.confrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE c.contype = 'f' AND n.nspname = 'public' ORDER BY 1, 2`,
  );
  return {
    tables: tables.rows.map((row) => row.name),
    columns: columns.rows,
    indexes: indexes.rows,
    foreignKeys: foreignKeys.rows.map((fk) => ({ ...fk, onDelete: ON_DELETE[fk.onDelete] ?? fk.onDelete })),
  };
}

interface ExpectedType {
  dataType: string;
  length?: number;
  precision?: number;
}

/** The PostgreSQL type Prisma's postgresql connector maps a scalar field to. */
export function expectedColumnType(field: DmmfField): ExpectedType | undefined {
  const [native, args = []] = field.nativeType ?? [];
  const number = (fallback: number) => (args[0] === undefined ? fallback : Number(args[0]));
  if (native) {
    switch (native) {
      case 'Uuid':
        return { dataType: 'uuid' };
      case 'VarChar':
        return { dataType: 'character varying', ...(args[0] ? { length: Number(args[0]) } : {}) };
      case 'Char':
        return { dataType: 'character', length: number(1) };
      case 'Text':
        return { dataType: 'text' };
      case 'Timestamptz':
        return { dataType: 'timestamp with time zone', precision: number(6) };
      case 'Timestamp':
        return { dataType: 'timestamp without time zone', precision: number(6) };
      case 'Date':
        return { dataType: 'date' };
      case 'Integer':
        return { dataType: 'integer' };
      case 'SmallInt':
        return { dataType: 'smallint' };
      case 'BigInt':
        return { dataType: 'bigint' };
      case 'JsonB':
        return { dataType: 'jsonb' };
      case 'Json':
        return { dataType: 'json' };
      case 'DoublePrecision':
        return { dataType: 'double precision' };
      case 'Boolean':
        return { dataType: 'boolean' };
      default:
        return undefined;
    }
  }
  switch (field.type) {
    case 'String':
      return { dataType: 'text' };
    case 'Int':
      return { dataType: 'integer' };
    case 'BigInt':
      return { dataType: 'bigint' };
    case 'Boolean':
      return { dataType: 'boolean' };
    case 'DateTime':
      return { dataType: 'timestamp without time zone', precision: 3 };
    case 'Json':
      return { dataType: 'jsonb' };
    case 'Float':
      return { dataType: 'double precision' };
    case 'Decimal':
      return { dataType: 'numeric' };
    case 'Bytes':
      return { dataType: 'bytea' };
    default:
      return undefined;
  }
}

/** Whether a column default is what the Prisma default asks for (undefined: no database default). */
function defaultMatches(field: DmmfField, actual: string | null): boolean {
  const value = field.default;
  if (value === undefined) return actual === null;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    switch (value.name) {
      case 'autoincrement':
        return actual !== null && /^nextval\('.+'::regclass\)$/.test(actual);
      case 'now':
        return actual === 'CURRENT_TIMESTAMP';
      case 'dbgenerated':
        return actual === value.args[0];
      default:
        // uuid(), cuid(), nanoid() ... are generated by the client, not the database.
        return actual === null;
    }
  }
  if (typeof value === 'string')
    return actual !== null && actual.startsWith(`'${value.replaceAll("'", "''")}'::`);
  return actual === String(value);
}

const describe = (columns: readonly string[], descending: readonly boolean[]) =>
  columns.map((column, i) => (descending[i] ? `${column} DESC` : column)).join(', ');

const sameList = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((item, i) => item === b[i]);

export interface CompareOptions {
  /** Database tables Prisma does not describe on purpose. */
  readonly ignoreTables?: readonly string[];
  /** Database indexes Prisma cannot describe (expression or extra unique indexes), by name. */
  readonly extraIndexes?: readonly string[];
}

/** Every disagreement between the datamodel and the database, as readable sentences. */
export function compareSchema(datamodel: Datamodel, db: DbSnapshot, options: CompareOptions = {}): string[] {
  const problems: string[] = [];
  const ignoreTables = new Set(options.ignoreTables ?? []);
  const tableOf = new Map(datamodel.models.map((model) => [model.name, model.dbName ?? model.name]));
  const columnOf = (model: DmmfModel, fieldName: string) => {
    const field = model.fields.find((f) => f.name === fieldName);
    return field?.dbName ?? fieldName;
  };
  const usedIndexes = new Set<string>();
  const usedForeignKeys = new Set<string>();

  for (const model of datamodel.models) {
    const table = tableOf.get(model.name)!;
    if (!db.tables.includes(table)) {
      problems.push(`table ${table} (model ${model.name}) does not exist`);
      continue;
    }
    const dbColumns = db.columns.filter((column) => column.table === table);
    const scalars = model.fields.filter((field) => field.kind === 'scalar' || field.kind === 'enum');
    for (const field of scalars) {
      const name = field.dbName ?? field.name;
      const where = `${table}.${name} (${model.name}.${field.name})`;
      const column = dbColumns.find((c) => c.column === name);
      if (!column) {
        problems.push(`column ${where} does not exist`);
        continue;
      }
      const expected = expectedColumnType(field);
      if (!expected) {
        problems.push(
          `column ${where}: no known PostgreSQL type for ${field.type} ${field.nativeType?.[0] ?? ''}`,
        );
      } else {
        if (column.dataType !== expected.dataType) {
          problems.push(`column ${where} is ${column.dataType}, the schema says ${expected.dataType}`);
        }
        if (expected.length !== undefined && column.length !== expected.length) {
          problems.push(`column ${where} has length ${column.length}, the schema says ${expected.length}`);
        }
        if (expected.precision !== undefined && column.precision !== expected.precision) {
          problems.push(
            `column ${where} has precision ${column.precision}, the schema says ${expected.precision}`,
          );
        }
      }
      if (column.nullable === field.isRequired) {
        problems.push(
          `column ${where} is ${column.nullable ? 'nullable' : 'NOT NULL'}, the schema says ${field.isRequired ? 'required' : 'optional'}`,
        );
      }
      if (!defaultMatches(field, column.default)) {
        problems.push(
          `column ${where} has default ${column.default}, the schema says ${JSON.stringify(field.default)}`,
        );
      }
    }
    for (const column of dbColumns) {
      if (!scalars.some((field) => (field.dbName ?? field.name) === column.column)) {
        problems.push(`column ${table}.${column.column} is not in model ${model.name}`);
      }
    }

    for (const field of model.fields.filter((f) => f.kind === 'object' && f.relationFromFields?.length)) {
      const columns = field.relationFromFields!.map((name) => columnOf(model, name));
      const target = datamodel.models.find((m) => m.name === field.type)!;
      const refColumns = field.relationToFields!.map((name) => columnOf(target, name));
      const onDelete = field.relationOnDelete ?? (field.isRequired ? 'Restrict' : 'SetNull');
      const name = `${table}_${columns.join('_')}_fkey`;
      const fk = db.foreignKeys.find((f) => f.table === table && sameList(f.columns, columns));
      if (!fk) {
        problems.push(`foreign key ${name} (${model.name}.${field.name}) does not exist`);
        continue;
      }
      usedForeignKeys.add(fk.name);
      if (fk.name !== name)
        problems.push(`foreign key on ${table}(${columns}) is named ${fk.name}, Prisma expects ${name}`);
      if (fk.refTable !== tableOf.get(target.name) || !sameList(fk.refColumns, refColumns)) {
        problems.push(
          `foreign key ${fk.name} references ${fk.refTable}(${fk.refColumns}), the schema says ${tableOf.get(target.name)}(${refColumns})`,
        );
      }
      if (fk.onDelete !== onDelete)
        problems.push(`foreign key ${fk.name} is ON DELETE ${fk.onDelete}, the schema says ${onDelete}`);
    }
  }

  for (const index of datamodel.indexes) {
    const model = datamodel.models.find((m) => m.name === index.model)!;
    const table = tableOf.get(index.model)!;
    const columns = index.fields.map((f) => columnOf(model, f.name));
    const descending = index.fields.map((f) => f.sortOrder === 'desc');
    const kind = index.type === 'id' ? 'primary key' : index.type === 'unique' ? 'unique index' : 'index';
    const name =
      index.dbName ??
      (index.type === 'id'
        ? `${table}_pkey`
        : `${table}_${columns.join('_')}_${index.type === 'unique' ? 'key' : 'idx'}`);
    const found = db.indexes.find((i) => i.table === table && i.name === name);
    if (!found) {
      problems.push(`${kind} ${name} on ${table}(${columns.join(', ')}) does not exist`);
      continue;
    }
    usedIndexes.add(found.name);
    if (!sameList(found.columns, columns) || !sameList(found.descending, descending)) {
      problems.push(
        `${kind} ${name} covers (${describe(found.columns, found.descending)}), the schema says (${describe(columns, descending)})`,
      );
    }
    if (found.primary !== (index.type === 'id') || found.unique !== (index.type !== 'normal')) {
      problems.push(
        `${name} is ${found.primary ? 'a primary key' : found.unique ? 'a unique index' : 'an index'}, the schema says ${kind}`,
      );
    }
  }

  const extraIndexes = new Set(options.extraIndexes ?? []);
  for (const table of db.tables) {
    if (ignoreTables.has(table)) continue;
    if (![...tableOf.values()].includes(table)) {
      problems.push(`table ${table} is not in the schema`);
      continue;
    }
    for (const index of db.indexes.filter((i) => i.table === table)) {
      if (!usedIndexes.has(index.name) && !extraIndexes.has(index.name)) {
        problems.push(`index ${index.name} on ${table}(${index.columns.join(', ')}) is not in the schema`);
      }
    }
    for (const fk of db.foreignKeys.filter((f) => f.table === table)) {
      if (!usedForeignKeys.has(fk.name))
        problems.push(`foreign key ${fk.name} on ${table} is not in the schema`);
    }
  }
  for (const name of extraIndexes) {
    if (!db.indexes.some((index) => index.name === name))
      problems.push(`expected extra index ${name} does not exist`);
  }
  return problems;
}
