// The $jsonSchema dialect: keywords, bson types and the failure details MongoDB reports.
import { Decimal128, Double, Long, ObjectId, UUID } from 'bson';
import { CommandError } from '../src/errors.js';
import { checkSchema, validateSchema } from '../src/json-schema.js';
import { toQueryForm } from '../src/query-form.js';
import type { Doc } from '../src/values.js';
import { Validator } from '../src/validation.js';

const ok = (schema: Doc, doc: unknown) => validateSchema(schema, doc).length === 0;

describe('bsonType', () => {
  test.each([
    ['objectId', new ObjectId(), 'string'],
    ['date', new Date(), 1],
    ['string', 'x', 1],
    ['int', 5, 5.5],
    ['long', Long.fromNumber(5), 5],
    ['double', 5.5, 5],
    ['decimal', Decimal128.fromString('1.5'), 1.5],
    ['bool', true, 'true'],
    ['object', { a: 1 }, [1]],
    ['array', [1], { 0: 1 }],
    ['null', null, 0],
    ['binData', new UUID(), 'uuid'],
  ])('%s accepts its type and rejects others', (type, good, bad) => {
    expect(ok({ properties: { v: { bsonType: type } } }, { v: good })).toBe(true);
    expect(ok({ properties: { v: { bsonType: type } } }, { v: bad })).toBe(false);
  });

  test('"number" and arrays of types', () => {
    const schema = { properties: { v: { bsonType: 'number' } } };
    for (const v of [1, 1.5, Long.fromNumber(2), Decimal128.fromString('3')])
      expect(ok(schema, { v })).toBe(true);
    expect(ok(schema, { v: '1' })).toBe(false);
    expect(ok({ properties: { v: { bsonType: ['string', 'null'] } } }, { v: null })).toBe(true);
  });

  test('the query form keeps original types visible (long stays long)', () => {
    const doc = toQueryForm({ v: Long.fromNumber(5), w: new Double(2) });
    expect(ok({ properties: { v: { bsonType: 'long' } } }, doc)).toBe(true);
    expect(ok({ properties: { v: { bsonType: 'int' } } }, doc)).toBe(false);
  });
});

describe('keywords', () => {
  test('required, properties and additionalProperties', () => {
    const schema = {
      bsonType: 'object',
      required: ['name'],
      properties: { name: { bsonType: 'string' } },
      additionalProperties: false,
    };
    expect(ok(schema, { name: 'x' })).toBe(true);
    const missing = validateSchema(schema, {});
    expect(missing).toContainEqual({
      operatorName: 'required',
      specifiedAs: { required: ['name'] },
      missingProperties: ['name'],
    });
    const extra = validateSchema(schema, { name: 'x', other: 1 });
    expect(extra).toContainEqual({
      operatorName: 'additionalProperties',
      specifiedAs: { additionalProperties: false },
      additionalProperties: ['other'],
    });
    expect(ok({ additionalProperties: { bsonType: 'int' } }, { a: 1, b: 2 })).toBe(true);
    expect(ok({ additionalProperties: { bsonType: 'int' } }, { a: 1, b: 'x' })).toBe(false);
  });

  test('strings: minLength, maxLength, pattern, enum', () => {
    const schema = {
      properties: { s: { minLength: 2, maxLength: 3, pattern: '^[a-z]+$' }, e: { enum: ['a', 'b'] } },
    };
    expect(ok(schema, { s: 'ab', e: 'a' })).toBe(true);
    expect(ok(schema, { s: 'a' })).toBe(false);
    expect(ok(schema, { s: 'abcd' })).toBe(false);
    expect(ok(schema, { s: 'AB' })).toBe(false);
    expect(ok(schema, { e: 'c' })).toBe(false);
    // Length keywords do not apply to other types.
    expect(ok(schema, { s: 12345 })).toBe(true);
  });

  test('numbers: minimum, maximum, exclusive bounds, multipleOf', () => {
    const schema = { properties: { n: { minimum: 0, maximum: 10, exclusiveMaximum: true, multipleOf: 2 } } };
    expect(ok(schema, { n: 4 })).toBe(true);
    expect(ok(schema, { n: -2 })).toBe(false);
    expect(ok(schema, { n: 10 })).toBe(false);
    expect(ok(schema, { n: 3 })).toBe(false);
    expect(ok(schema, { n: Long.fromNumber(8) })).toBe(true);
    const [detail] = validateSchema({ properties: { n: { minimum: 0 } } }, { n: -1 }) as [Doc];
    expect(detail).toEqual({
      operatorName: 'properties',
      propertiesNotSatisfied: [
        {
          propertyName: 'n',
          details: [
            {
              operatorName: 'minimum',
              specifiedAs: { minimum: 0 },
              reason: 'comparison failed',
              consideredValue: -1,
            },
          ],
        },
      ],
    });
  });

  test('arrays: minItems, maxItems, uniqueItems, items', () => {
    const schema = {
      properties: { a: { minItems: 1, maxItems: 3, uniqueItems: true, items: { bsonType: 'int' } } },
    };
    expect(ok(schema, { a: [1, 2] })).toBe(true);
    expect(ok(schema, { a: [] })).toBe(false);
    expect(ok(schema, { a: [1, 2, 3, 4] })).toBe(false);
    expect(ok(schema, { a: [1, 1] })).toBe(false);
    expect(ok(schema, { a: [1, 'x'] })).toBe(false);
    expect(
      ok(
        {
          properties: { t: { items: [{ bsonType: 'string' }, { bsonType: 'int' }], additionalItems: false } },
        },
        { t: ['a', 1] },
      ),
    ).toBe(true);
    expect(
      ok({ properties: { t: { items: [{ bsonType: 'string' }], additionalItems: false } } }, { t: ['a', 1] }),
    ).toBe(false);
  });

  test('anyOf, oneOf, allOf and not', () => {
    expect(
      ok({ properties: { v: { anyOf: [{ bsonType: 'int' }, { bsonType: 'string' }] } } }, { v: 'x' }),
    ).toBe(true);
    expect(
      ok({ properties: { v: { anyOf: [{ bsonType: 'int' }, { bsonType: 'string' }] } } }, { v: true }),
    ).toBe(false);
    expect(ok({ properties: { v: { oneOf: [{ minimum: 0 }, { maximum: 10 }] } } }, { v: 5 })).toBe(false);
    expect(ok({ properties: { v: { oneOf: [{ minimum: 0 }, { maximum: 10 }] } } }, { v: 50 })).toBe(true);
    expect(ok({ properties: { v: { allOf: [{ minimum: 0 }, { maximum: 10 }] } } }, { v: 50 })).toBe(false);
    expect(ok({ properties: { v: { not: { bsonType: 'string' } } } }, { v: 'x' })).toBe(false);
  });

  test('nested objects are validated recursively', () => {
    const schema = {
      properties: {
        address: { bsonType: 'object', required: ['city'], properties: { zip: { bsonType: 'string' } } },
      },
    };
    expect(ok(schema, { address: { city: 'x', zip: '1' } })).toBe(true);
    expect(ok(schema, { address: { zip: '1' } })).toBe(false);
    expect(ok(schema, { address: { city: 'x', zip: 1 } })).toBe(false);
  });
});

describe('schema checks at create time', () => {
  test.each([
    [{ foo: 1 }, 9],
    [{ format: 'email' }, 9],
    [{ bsonType: 'nope' }, 2],
    [{ type: 'integer' }, 2],
    [{ required: 'name' }, 14],
    [{ anyOf: [] }, 2],
  ])('%j is rejected with code %d', (schema, code) => {
    expect(() => checkSchema(schema)).toThrow(CommandError);
    try {
      checkSchema(schema);
    } catch (error) {
      expect((error as CommandError).code).toBe(code);
    }
  });
});

describe('collection validators', () => {
  const schema = {
    $jsonSchema: {
      bsonType: 'object',
      required: ['qty'],
      properties: { qty: { bsonType: 'int', minimum: 0 } },
    },
  };

  test('failures carry errInfo with the failing id and the schema rules', () => {
    const validator = new Validator({ validator: schema });
    const doc = { _id: 7, qty: -1 };
    const outcome = validator.check(doc, doc);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe(121);
    expect(outcome.error.message).toBe('Document failed validation');
    const errInfo = outcome.error.extra.errInfo as Doc;
    expect(errInfo.failingDocumentId).toBe(7);
    expect((errInfo.details as Doc).operatorName).toBe('$jsonSchema');
  });

  test('moderate validation lets updates of already-invalid documents through', () => {
    const validator = new Validator({ validator: schema, validationLevel: 'moderate' });
    const invalidBefore = { _id: 1, qty: 'x' };
    const stillInvalid = { _id: 1, qty: 'y' };
    expect(validator.check(stillInvalid, stillInvalid, { doc: invalidBefore, q: invalidBefore }).ok).toBe(
      true,
    );
    const validBefore = { _id: 1, qty: 1 };
    expect(validator.check(stillInvalid, stillInvalid, { doc: validBefore, q: validBefore }).ok).toBe(false);
  });

  test('warn reports but does not reject; off disables', () => {
    const warn = new Validator({ validator: schema, validationAction: 'warn' }).check({ _id: 1 }, { _id: 1 });
    expect(warn.ok === false && warn.warn).toBe(true);
    expect(
      new Validator({ validator: schema, validationLevel: 'off' }).check({ _id: 1 }, { _id: 1 }).ok,
    ).toBe(true);
  });

  test('query-operator validators and mixed validators', () => {
    const validator = new Validator({ validator: { qty: { $gte: 0 }, $jsonSchema: { required: ['name'] } } });
    expect(validator.check({ _id: 1, qty: 1, name: 'a' }, { _id: 1, qty: 1, name: 'a' }).ok).toBe(true);
    const outcome = validator.check({ _id: 1, qty: -1, name: 'a' }, { _id: 1, qty: -1, name: 'a' });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const details = (outcome.error.extra.errInfo as Doc).details as Doc;
    expect(details.operatorName).toBe('$and');
    expect(details.clausesNotSatisfied).toEqual([
      {
        index: 0,
        details: {
          operatorName: '$gte',
          specifiedAs: { qty: { $gte: 0 } },
          reason: 'comparison failed',
          consideredValue: -1,
        },
      },
    ]);
  });
});
