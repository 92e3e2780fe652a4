/**
 * Collection validators (`validator`, `validationLevel`, `validationAction`): `$jsonSchema` and
 * query-style rules, with failure details shaped like MongoDB's `errInfo`.
 */
import { CommandError, Codes } from './errors.js';
import { checkSchema, validateSchema } from './json-schema.js';
import { compileFilter, type Predicate } from './mingo.js';
import { isPlainObject, type Doc } from './values.js';

export type ValidationOutcome =
  { readonly ok: true } | { readonly ok: false; readonly warn: boolean; readonly error: CommandError };

const OK: ValidationOutcome = { ok: true };

/** Rejects validator options MongoDB would reject. */
export function checkValidatorOptions(options: Doc): void {
  const { validator, validationLevel, validationAction } = options;
  if (validator !== undefined) {
    if (!isPlainObject(validator))
      throw new CommandError(Codes.TypeMismatch, "'validator' option must be a document");
    for (const forbidden of ['$text', '$where', '$near', '$nearSphere']) {
      if (forbidden in validator)
        throw new CommandError(Codes.BadValue, `${forbidden} is not allowed in collection validators`);
    }
    if (isPlainObject(validator.$jsonSchema)) checkSchema(validator.$jsonSchema);
    compileFilter(validator);
  }
  if (validationLevel !== undefined && !['off', 'strict', 'moderate'].includes(String(validationLevel))) {
    throw new CommandError(
      Codes.BadValue,
      `Enumeration value '${String(validationLevel)}' for field 'validationLevel' is not a valid value.`,
    );
  }
  if (
    validationAction !== undefined &&
    !['error', 'warn', 'errorAndLog'].includes(String(validationAction))
  ) {
    throw new CommandError(
      Codes.BadValue,
      `Enumeration value '${String(validationAction)}' for field 'validationAction' is not a valid value.`,
    );
  }
}

export class Validator {
  private readonly validator: Doc | undefined;
  private readonly level: string;
  private readonly action: string;
  private predicate: Predicate | undefined;

  constructor(options: Doc) {
    this.validator =
      isPlainObject(options.validator) && Object.keys(options.validator).length > 0
        ? options.validator
        : undefined;
    this.level = typeof options.validationLevel === 'string' ? options.validationLevel : 'strict';
    this.action = typeof options.validationAction === 'string' ? options.validationAction : 'error';
  }

  get active(): boolean {
    return this.validator !== undefined && this.level !== 'off';
  }

  private matches(doc: Doc, queryForm: Doc): boolean {
    if (!this.validator) return true;
    this.predicate ??= compileFilter(this.validator);
    return (
      this.predicate(queryForm) &&
      (!isPlainObject(this.validator.$jsonSchema) ||
        validateSchema(this.validator.$jsonSchema, doc).length === 0)
    );
  }

  /**
   * Checks a new or replacement document. `previous` is the document being updated (moderate
   * validation lets updates of already-invalid documents through).
   */
  check(doc: Doc, queryForm: Doc, previous?: { doc: Doc; q: Doc }): ValidationOutcome {
    if (!this.active || !this.validator) return OK;
    if (this.matches(doc, queryForm)) return OK;
    if (previous && this.level === 'moderate' && !this.matches(previous.doc, previous.q)) return OK;
    const error = new CommandError(Codes.DocumentValidationFailure, 'Document failed validation', {
      errInfo: { failingDocumentId: doc._id, details: this.details(doc, queryForm) },
    });
    return { ok: false, warn: this.action === 'warn', error };
  }

  private details(doc: Doc, queryForm: Doc): Doc {
    const validator = this.validator as Doc;
    const clauses = Object.entries(validator);
    const failed: Doc[] = [];
    clauses.forEach(([key, cond], index) => {
      const detail = clauseDetails(key, cond, doc, queryForm);
      if (detail) failed.push({ index, details: detail });
    });
    if (failed.length === 1 && clauses.length === 1) return failed[0]?.details as Doc;
    return { operatorName: '$and', clausesNotSatisfied: failed };
  }
}

function clauseDetails(key: string, cond: unknown, doc: Doc, queryForm: Doc): Doc | undefined {
  if (key === '$jsonSchema' && isPlainObject(cond)) {
    const rules = validateSchema(cond, doc);
    return rules.length > 0 ? { operatorName: '$jsonSchema', schemaRulesNotSatisfied: rules } : undefined;
  }
  if (compileFilter({ [key]: cond })(queryForm)) return undefined;
  if (key.startsWith('$'))
    return { operatorName: key, specifiedAs: { [key]: cond }, reason: 'expression did not match' };
  const operatorName =
    isPlainObject(cond) && Object.keys(cond)[0]?.startsWith('$') ? (Object.keys(cond)[0] as string) : '$eq';
  const present = Object.prototype.hasOwnProperty.call(doc, key.split('.')[0] as string);
  return present
    ? {
        operatorName,
        specifiedAs: { [key]: cond },
        reason: 'comparison failed',
        consideredValue: doc[key] ?? null,
      }
    : { operatorName, specifiedAs: { [key]: cond }, reason: 'field was missing' };
}
