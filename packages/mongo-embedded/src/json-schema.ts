/**
 * MongoDB's `$jsonSchema` dialect (draft 4 plus `bsonType`): validation of a document with the
 * failure details MongoDB puts in `errInfo.details.schemaRulesNotSatisfied`.
 */
import { storedTypeOf } from './query-form.js';
import { CommandError, Codes } from './errors.js';
import { isNumericType, isPlainObject, toNumber, valueKey, type Doc } from './values.js';

const BSON_TYPES = new Set([
  'double',
  'string',
  'object',
  'array',
  'binData',
  'undefined',
  'objectId',
  'bool',
  'date',
  'null',
  'regex',
  'dbPointer',
  'javascript',
  'symbol',
  'javascriptWithScope',
  'int',
  'timestamp',
  'long',
  'decimal',
  'minKey',
  'maxKey',
  'number',
]);

const JSON_TYPES = new Set(['object', 'array', 'number', 'boolean', 'string', 'null']);

const KEYWORDS = new Set([
  'bsonType',
  'type',
  'required',
  'properties',
  'patternProperties',
  'additionalProperties',
  'enum',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'items',
  'additionalItems',
  'minProperties',
  'maxProperties',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'dependencies',
  'title',
  'description',
  'encrypt',
  'encryptMetadata',
]);

const UNSUPPORTED = new Set(['$ref', '$schema', 'default', 'definitions', 'format', 'id']);

/** Rejects schemas MongoDB would reject at `create`/`collMod` time. */
export function checkSchema(schema: unknown): void {
  if (!isPlainObject(schema)) throw new CommandError(Codes.TypeMismatch, '$jsonSchema must be an object');
  for (const [keyword, value] of Object.entries(schema)) {
    if (UNSUPPORTED.has(keyword)) {
      throw new CommandError(
        Codes.FailedToParse,
        `$jsonSchema keyword '${keyword}' is not currently supported`,
      );
    }
    if (!KEYWORDS.has(keyword))
      throw new CommandError(Codes.FailedToParse, `Unknown $jsonSchema keyword: ${keyword}`);
    if (keyword === 'bsonType') {
      for (const t of Array.isArray(value) ? value : [value]) {
        if (typeof t !== 'string' || !BSON_TYPES.has(t)) {
          throw new CommandError(Codes.BadValue, `Unknown type name alias: ${String(t)}`);
        }
      }
    }
    if (keyword === 'type') {
      for (const t of Array.isArray(value) ? value : [value]) {
        if (typeof t !== 'string' || !JSON_TYPES.has(t)) {
          throw new CommandError(Codes.BadValue, `Unknown type name alias: ${String(t)}`);
        }
      }
    }
    if (keyword === 'properties' || keyword === 'patternProperties') {
      if (!isPlainObject(value))
        throw new CommandError(Codes.TypeMismatch, `$jsonSchema keyword '${keyword}' must be an object`);
      for (const sub of Object.values(value)) checkSchema(sub);
    }
    if ((keyword === 'additionalProperties' || keyword === 'additionalItems') && typeof value !== 'boolean')
      checkSchema(value);
    if (keyword === 'not') checkSchema(value);
    if (keyword === 'items') {
      if (Array.isArray(value)) value.forEach(checkSchema);
      else checkSchema(value);
    }
    if (keyword === 'anyOf' || keyword === 'oneOf' || keyword === 'allOf') {
      if (!Array.isArray(value) || value.length === 0) {
        throw new CommandError(Codes.BadValue, `$jsonSchema keyword '${keyword}' must be a nonempty array`);
      }
      value.forEach(checkSchema);
    }
    if (keyword === 'required') {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
        throw new CommandError(
          Codes.TypeMismatch,
          "$jsonSchema keyword 'required' must be an array of strings",
        );
      }
    }
  }
}

function matchesBsonType(type: string, wanted: string): boolean {
  if (wanted === 'number') return isNumericType(type);
  return type === wanted;
}

function matchesJsonType(type: string, wanted: string): boolean {
  switch (wanted) {
    case 'number':
      return isNumericType(type);
    case 'boolean':
      return type === 'bool';
    default:
      return type === wanted;
  }
}

type Rule = Doc;

/** Validates `value` (found at `key` of `container`) and returns the rules it breaks. */
function check(schema: Doc, value: unknown, container: unknown, key: string | number): Rule[] {
  const failures: Rule[] = [];
  const type = storedTypeOf(value, container, key);

  if (schema.bsonType !== undefined) {
    const wanted = Array.isArray(schema.bsonType)
      ? (schema.bsonType as string[])
      : [schema.bsonType as string];
    if (!wanted.some((w) => matchesBsonType(type, w))) {
      failures.push({
        operatorName: 'bsonType',
        specifiedAs: { bsonType: schema.bsonType },
        reason: 'type did not match',
        consideredValue: value,
        consideredType: type,
      });
    }
  }
  if (schema.type !== undefined) {
    const wanted = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!wanted.some((w) => matchesJsonType(type, w))) {
      failures.push({
        operatorName: 'type',
        specifiedAs: { type: schema.type },
        reason: 'type did not match',
        consideredValue: value,
        consideredType: type,
      });
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => valueKey(e) === valueKey(value))) {
    failures.push({
      operatorName: 'enum',
      specifiedAs: { enum: schema.enum },
      reason: 'value was not found in enum',
      consideredValue: value,
    });
  }
  if (type === 'string') checkString(schema, value as string, failures);
  if (isNumericType(type)) checkNumber(schema, value, failures);
  if (type === 'array') checkArray(schema, value as unknown[], failures);
  if (type === 'object') checkObject(schema, value as Doc, failures);
  checkCombinators(schema, value, container, key, failures);
  return failures;
}

function checkString(schema: Doc, value: string, failures: Rule[]): void {
  const length = [...value].length;
  if (schema.minLength !== undefined && length < toNumber(schema.minLength)) {
    failures.push({
      operatorName: 'minLength',
      specifiedAs: { minLength: schema.minLength },
      reason: 'specified string length was not satisfied',
      consideredValue: value,
    });
  }
  if (schema.maxLength !== undefined && length > toNumber(schema.maxLength)) {
    failures.push({
      operatorName: 'maxLength',
      specifiedAs: { maxLength: schema.maxLength },
      reason: 'specified string length was not satisfied',
      consideredValue: value,
    });
  }
  if (schema.pattern !== undefined) {
    const pattern =
      schema.pattern instanceof RegExp ? schema.pattern : new RegExp(String(schema.pattern), 'u');
    if (!pattern.test(value)) {
      failures.push({
        operatorName: 'pattern',
        specifiedAs: { pattern: schema.pattern },
        reason: 'regular expression did not match',
        consideredValue: value,
      });
    }
  }
}

/** minimum/maximum with their exclusive flags, reported the way MongoDB's errInfo does. */
function checkBound(
  schema: Doc,
  keyword: 'minimum' | 'maximum',
  exclusive: 'exclusiveMinimum' | 'exclusiveMaximum',
  raw: unknown,
  value: number,
  failures: Rule[],
): void {
  if (schema[keyword] === undefined) return;
  const bound = toNumber(schema[keyword]);
  const strict = schema[exclusive] === true;
  const ok =
    keyword === 'minimum'
      ? strict
        ? value > bound
        : value >= bound
      : strict
        ? value < bound
        : value <= bound;
  if (ok) return;
  failures.push({
    operatorName: keyword,
    specifiedAs: { [keyword]: schema[keyword], ...(strict ? { [exclusive]: true } : {}) },
    reason: 'comparison failed',
    consideredValue: raw,
  });
}

function checkNumber(schema: Doc, raw: unknown, failures: Rule[]): void {
  const value = toNumber(raw);
  checkBound(schema, 'minimum', 'exclusiveMinimum', raw, value, failures);
  checkBound(schema, 'maximum', 'exclusiveMaximum', raw, value, failures);
  if (schema.multipleOf !== undefined) {
    const m = toNumber(schema.multipleOf);
    if (m !== 0 && Math.abs(value / m - Math.round(value / m)) > 1e-9) {
      failures.push({
        operatorName: 'multipleOf',
        specifiedAs: { multipleOf: schema.multipleOf },
        reason: 'considered value is not a multiple of the specified value',
        consideredValue: raw,
      });
    }
  }
}

function checkArray(schema: Doc, value: unknown[], failures: Rule[]): void {
  if (schema.minItems !== undefined && value.length < toNumber(schema.minItems)) {
    failures.push({
      operatorName: 'minItems',
      specifiedAs: { minItems: schema.minItems },
      reason: 'array did not match specified length',
      consideredValue: value,
    });
  }
  if (schema.maxItems !== undefined && value.length > toNumber(schema.maxItems)) {
    failures.push({
      operatorName: 'maxItems',
      specifiedAs: { maxItems: schema.maxItems },
      reason: 'array did not match specified length',
      consideredValue: value,
    });
  }
  if (schema.uniqueItems === true) {
    const seen = new Set<string>();
    for (const item of value) {
      const k = valueKey(item);
      if (seen.has(k)) {
        failures.push({
          operatorName: 'uniqueItems',
          specifiedAs: { uniqueItems: true },
          reason: 'found a duplicate item',
          consideredValue: value,
          duplicatedValue: item,
        });
        break;
      }
      seen.add(k);
    }
  }
  if (isPlainObject(schema.items)) {
    for (let i = 0; i < value.length; i++) {
      const details = check(schema.items, value[i], value, i);
      if (details.length > 0) {
        failures.push({
          operatorName: 'items',
          reason: 'At least one item did not match the sub-schema',
          itemIndex: i,
          details,
        });
        break;
      }
    }
  } else if (Array.isArray(schema.items)) {
    const schemas = schema.items as Doc[];
    for (let i = 0; i < value.length; i++) {
      const sub = i < schemas.length ? schemas[i] : schema.additionalItems;
      if (sub === false) {
        failures.push({
          operatorName: 'additionalItems',
          specifiedAs: { additionalItems: false },
          reason: 'found additional items',
          additionalItems: value.slice(schemas.length),
        });
        break;
      }
      if (!isPlainObject(sub)) continue;
      const details = check(sub, value[i], value, i);
      if (details.length > 0) {
        failures.push({
          operatorName: 'items',
          reason: 'At least one item did not match the sub-schema',
          itemIndex: i,
          details,
        });
        break;
      }
    }
  }
}

function checkObject(schema: Doc, value: Doc, failures: Rule[]): void {
  if (Array.isArray(schema.required)) {
    const missing = (schema.required as string[]).filter(
      (name) => !Object.prototype.hasOwnProperty.call(value, name),
    );
    if (missing.length > 0) {
      failures.push({
        operatorName: 'required',
        specifiedAs: { required: schema.required },
        missingProperties: missing,
      });
    }
  }
  const keys = Object.keys(value);
  if (schema.minProperties !== undefined && keys.length < toNumber(schema.minProperties)) {
    failures.push({
      operatorName: 'minProperties',
      specifiedAs: { minProperties: schema.minProperties },
      reason: 'specified number of properties was not satisfied',
      numberOfProperties: keys.length,
    });
  }
  if (schema.maxProperties !== undefined && keys.length > toNumber(schema.maxProperties)) {
    failures.push({
      operatorName: 'maxProperties',
      specifiedAs: { maxProperties: schema.maxProperties },
      reason: 'specified number of properties was not satisfied',
      numberOfProperties: keys.length,
    });
  }
  const properties = isPlainObject(schema.properties) ? schema.properties : {};
  const notSatisfied: Doc[] = [];
  for (const [name, sub] of Object.entries(properties)) {
    if (!Object.prototype.hasOwnProperty.call(value, name) || !isPlainObject(sub)) continue;
    const details = check(sub, value[name], value, name);
    if (details.length > 0) {
      notSatisfied.push({
        propertyName: name,
        ...(typeof sub.description === 'string' ? { description: sub.description } : {}),
        details,
      });
    }
  }
  if (notSatisfied.length > 0)
    failures.push({ operatorName: 'properties', propertiesNotSatisfied: notSatisfied });

  const patterns = isPlainObject(schema.patternProperties)
    ? Object.entries(schema.patternProperties).map(([p, s]) => [new RegExp(p, 'u'), s] as const)
    : [];
  for (const [regex, sub] of patterns) {
    if (!isPlainObject(sub)) continue;
    for (const name of keys) {
      if (!regex.test(name)) continue;
      const details = check(sub, value[name], value, name);
      if (details.length > 0) {
        failures.push({ operatorName: 'patternProperties', details: [{ propertyName: name, details }] });
      }
    }
  }

  if (schema.additionalProperties !== undefined && schema.additionalProperties !== true) {
    const extra = keys.filter(
      (name) => !(name in properties) && !patterns.some(([regex]) => regex.test(name)),
    );
    if (schema.additionalProperties === false) {
      if (extra.length > 0) {
        failures.push({
          operatorName: 'additionalProperties',
          specifiedAs: { additionalProperties: false },
          additionalProperties: extra,
        });
      }
    } else if (isPlainObject(schema.additionalProperties)) {
      for (const name of extra) {
        const details = check(schema.additionalProperties, value[name], value, name);
        if (details.length > 0) {
          failures.push({
            operatorName: 'additionalProperties',
            reason: 'at least one additional property did not match the subschema',
            failingProperty: name,
            details,
          });
          break;
        }
      }
    }
  }

  if (isPlainObject(schema.dependencies)) {
    for (const [name, dep] of Object.entries(schema.dependencies)) {
      if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
      if (Array.isArray(dep)) {
        const missing = (dep as string[]).filter((d) => !Object.prototype.hasOwnProperty.call(value, d));
        if (missing.length > 0) {
          failures.push({
            operatorName: 'dependencies',
            failingDependencies: [{ conditionalProperty: name, missingProperties: missing }],
          });
        }
      } else if (isPlainObject(dep)) {
        const details = check(dep, value, undefined, '');
        if (details.length > 0) {
          failures.push({
            operatorName: 'dependencies',
            failingDependencies: [{ conditionalProperty: name, details }],
          });
        }
      }
    }
  }
}

function checkCombinators(
  schema: Doc,
  value: unknown,
  container: unknown,
  key: string | number,
  failures: Rule[],
): void {
  if (Array.isArray(schema.allOf)) {
    const failed = (schema.allOf as Doc[])
      .map((sub, index) => ({ index, details: check(sub, value, container, key) }))
      .filter((r) => r.details.length > 0);
    if (failed.length > 0) failures.push({ operatorName: 'allOf', schemasNotSatisfied: failed });
  }
  if (Array.isArray(schema.anyOf)) {
    const results = (schema.anyOf as Doc[]).map((sub, index) => ({
      index,
      details: check(sub, value, container, key),
    }));
    if (results.every((r) => r.details.length > 0))
      failures.push({ operatorName: 'anyOf', schemasNotSatisfied: results });
  }
  if (Array.isArray(schema.oneOf)) {
    const results = (schema.oneOf as Doc[]).map((sub, index) => ({
      index,
      details: check(sub, value, container, key),
    }));
    const passing = results.filter((r) => r.details.length === 0);
    if (passing.length === 0) failures.push({ operatorName: 'oneOf', schemasNotSatisfied: results });
    else if (passing.length > 1) {
      failures.push({
        operatorName: 'oneOf',
        reason: 'more than one subschema matched',
        matchingSchemaIndexes: passing.map((p) => p.index),
      });
    }
  }
  if (isPlainObject(schema.not) && check(schema.not, value, container, key).length === 0) {
    failures.push({ operatorName: 'not', reason: 'child expression matched' });
  }
}

/** The rules `doc` breaks (empty when it is valid). */
export function validateSchema(schema: Doc, doc: unknown): Rule[] {
  return check(schema, doc, undefined, '');
}
