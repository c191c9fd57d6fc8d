/**
 * The structural validator of AgentAccessPolicy (the CRD's schema, policyJsonSchema()), in one of two
 * forms with the same code: ajv's standalone module, generated when the app is built
 * (scripts/image/rootfs.ts) and loaded from beside this file, or, where there is none (the sources run
 * through tsx), compiled by ajv at run time.
 *
 * Why: compiling at run time made ajv generate a 249 KB function and V8 compile it, and that memory
 * stays: +17-19 MiB RSS in every sidecar after its one validation at start (docs/performance.md, round 2).
 * Loading the generated module costs < 1 MiB, and ajv itself is never loaded.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject } from 'ajv';

export interface SchemaValidator {
  (doc: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** The file name of the generated module, beside this module in the built app. */
export const STANDALONE_VALIDATOR = 'policy-validator.cjs';

const require = createRequire(import.meta.url);
const AJV_OPTIONS = { allErrors: true, strict: false, useDefaults: true, validateFormats: false } as const;

/** The validator compiled by ajv now. */
export function compiledValidator(schema: object): SchemaValidator {
  const { Ajv } = require('ajv') as typeof import('ajv');
  return new Ajv(AJV_OPTIONS).compile(schema) as SchemaValidator;
}

/** ajv's standalone module (CommonJS) of the same validator: what the build writes as STANDALONE_VALIDATOR. */
export function standaloneValidatorCode(schema: object): string {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standalone = (require('ajv/dist/standalone') as { default: (ajv: object, validate: unknown) => string })
    .default;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  return standalone(ajv, ajv.compile(schema));
}

/** The generated module at `file` if the build wrote one, else the validator compiled by ajv from `schema()`. */
export function loadSchemaValidator(
  schema: () => object,
  file = new URL(STANDALONE_VALIDATOR, import.meta.url).pathname,
): SchemaValidator {
  if (existsSync(file)) return require(file) as SchemaValidator;
  return compiledValidator(schema());
}
