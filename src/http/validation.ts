// Request validation: one Ajv for bodies (no coercion: a JSON number must be a number) and one
// for query strings, params and headers (which arrive as strings and are coerced). Every problem
// is reported (allErrors), each as one sentence naming its field.
import { Ajv, type ErrorObject } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

/** Strings the stores cannot hold exactly: NUL (PostgreSQL text) and lone UTF-16 surrogates. */
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce,
    useDefaults: true,
    removeAdditional: false, // an unknown property is an error, never silently dropped
    verbose: true,
    strict: false, // OpenAPI annotations (example, x-*) live in the same schemas
  });
  ajv.addKeyword({
    keyword: 'x-storable',
    type: 'string',
    schemaType: 'boolean',
    errors: true,
    validate: function storable(enabled: boolean, value: string) {
      return !enabled || !UNSTORABLE.test(value);
    },
  });
  // A property that may be sent but never changed: its presence is the error (e.g. externalId on update).
  ajv.addKeyword({ keyword: 'x-immutable', schemaType: 'boolean', errors: true, validate: (immutable: boolean) => !immutable });
  return ajv;
}

const bodyAjv = makeAjv(false);
const stringPartsAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) => {
  if (httpPart === 'body') return bodyAjv.compile(schema as object);
  const validate = stringPartsAjv.compile(schema as object);
  return httpPart === 'querystring' ? decimalIntegersFirst(schema as QuerySchema, validate) : validate;
};

type QuerySchema = { properties?: Record<string, { type?: string }> };
type Validate = ((data: Record<string, unknown>) => boolean) & { errors?: ErrorObject[] | null };

/**
 * Query integers must be written in decimal digits. Ajv's coercion alone would also take `0x2`,
 * `1e1` or ` 2`, so the raw strings are checked before it runs.
 */
function decimalIntegersFirst(schema: QuerySchema, validate: Validate): Validate {
  const integers = Object.entries(schema.properties ?? {}).filter(([, s]) => s.type === 'integer').map(([name]) => name);
  if (integers.length === 0) return validate;
  const wrapped: Validate = (data) => {
    const bad = integers.filter((k) => data[k] !== undefined && !(typeof data[k] === 'string' && /^-?[0-9]{1,16}$/.test(data[k] as string)));
    const valid = validate(data);
    const others = (validate.errors ?? []).filter((e) => !bad.some((k) => e.instancePath === `/${k}`));
    const decimal = bad.map((k): ErrorObject => ({ keyword: 'x-decimal', instancePath: `/${k}`, schemaPath: '#/x-decimal', params: {} }));
    wrapped.errors = bad.length > 0 ? [...decimal, ...others] : validate.errors;
    return valid && bad.length === 0;
  };
  return wrapped;
}

function fieldName(instancePath: string, part: string | undefined, child?: string): string {
  const segments = instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) segments.push(child);
  if (segments.length === 0) return part ?? 'body';
  return segments.reduce((acc, s, i) => (/^\d+$/.test(s) && i > 0 ? `${acc}[${s}]` : i === 0 ? s : `${acc}.${s}`), '');
}

const ARTICLE: Record<string, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean',
  array: 'an array', object: 'a JSON object', null: 'null',
};

const MAX_MESSAGES = 50;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function sentence(e: ErrorObject, part: string | undefined): string {
  const p = e.params as Record<string, any>;
  const field = fieldName(e.instancePath, part);
  switch (e.keyword) {
    case 'required': return `${fieldName(e.instancePath, part, p.missingProperty)} is required`;
    case 'additionalProperties': return `property ${fieldName(e.instancePath, part, p.additionalProperty)} should not exist`;
    case 'type': return `${field} must be ${String(p.type).split(',').map((t) => ARTICLE[t] ?? t).join(' or ')}`;
    case 'minLength': return `${field} must be at least ${plural(p.limit, 'character')} long`;
    case 'maxLength': return `${field} must be at most ${plural(p.limit, 'character')} long`;
    case 'pattern': return `${field} must match pattern ${p.pattern}`;
    case 'minimum': return `${field} must be at least ${p.limit}`;
    case 'maximum': return `${field} must be at most ${p.limit}`;
    case 'exclusiveMinimum': return `${field} must be greater than ${p.limit}`;
    case 'exclusiveMaximum': return `${field} must be less than ${p.limit}`;
    case 'minItems': return `${field} must contain at least ${plural(p.limit, 'item')}`;
    case 'maxItems': return `${field} must contain at most ${plural(p.limit, 'item')}`;
    case 'minProperties': return `${field} must contain at least ${plural(p.limit, 'property')}`.replace('propertys', 'properties');
    case 'enum': return `${field} must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'const': return `${field} must be ${JSON.stringify(p.allowedValue)}`;
    case 'format': return `${field} must be a valid ${p.format}`;
    case 'x-decimal': return `${field} must be an integer`; // written in decimal digits
    case 'x-immutable': return `${field} cannot be changed`;
    case 'x-storable': return `${field} must not contain NUL characters or unpaired UTF-16 surrogates`;
    case 'anyOf': return `${field} must be ${(e.parentSchema as any)?.['x-expected'] ?? 'one of the accepted forms'}`;
    default: return `${field} ${e.message ?? 'is invalid'}`;
  }
}

/** Ajv errors → one message per problem; the branches of a failed anyOf collapse into one line. */
export function validationMessages(errors: ErrorObject[], part: string | undefined): string[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  const kept = errors.filter((e) => !unions.some((u) => e.schemaPath.startsWith(u)));
  const messages = [...new Set(kept.map((e) => sentence(e, part)))];
  // A small body can hold many bad items; the answer names the first ones, not all of them.
  if (messages.length <= MAX_MESSAGES) return messages;
  return [...messages.slice(0, MAX_MESSAGES), `…and ${messages.length - MAX_MESSAGES} more problems`];
}
