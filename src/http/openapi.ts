import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { PROJECT_ROOT } from '../config/paths';
import type { TokenVerifier } from '../domain/auth/tokens';
import { bearerAuthHandler } from './auth';
import { swaggerUiOnFirstUse } from './swagger-ui';
import { memoizeRouteRegexps } from '../patches/third-party';
import { withEnginePaths } from './engine-contract';

export const SPEC_PATH = path.join(PROJECT_ROOT, 'openapi.yaml');
export const ASYNCAPI_PATH = path.join(PROJECT_ROOT, 'asyncapi.yaml');

/** `npm run build` writes the parsed contract here (scripts/build-spec.js): parsing the YAML costs ~120 ms of start-up. */
export const SPEC_CACHE_PATH = path.join(PROJECT_ROOT, 'dist', 'openapi.json');

let cached: { text: string; doc: Record<string, unknown> } | undefined;

export const specDigest = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The parsed contract from the build's cache, only when it was made from exactly this text. */
function fromCache(text: string): Record<string, unknown> | undefined {
  try {
    const c = JSON.parse(fs.readFileSync(SPEC_CACHE_PATH, 'utf8')) as { sha256?: string; doc?: Record<string, unknown> };
    return c.sha256 === specDigest(text) ? c.doc : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The contract, read once per process: openapi.yaml with its engine-scoped paths generated (src/http/engine-contract.ts).
 * `text` is the source file's text (its digest keys the build's cache), `doc` the full contract.
 */
export function loadSpec(): { text: string; doc: Record<string, unknown> } {
  if (!cached) {
    const text = fs.readFileSync(SPEC_PATH, 'utf8');
    // `yaml` is required only when the build's cache is missing or stale (tests from sources): ~25 ms of start-up.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, on purpose
    const source = fromCache(text) ?? ((require('yaml') as typeof import('yaml')).parse(text) as Record<string, unknown>);
    cached = { text, doc: withEnginePaths(source) };
  }
  return cached;
}

let served: string | undefined;

/** The full contract as YAML, as /openapi.yaml serves it and `npm run lint:contracts` lints it. */
export function fullSpecText(): string {
  if (served === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, on purpose
    const yaml = require('yaml') as typeof import('yaml');
    served = yaml.stringify(loadSpec().doc, { lineWidth: 0, aliasDuplicateObjects: false });
  }
  return served;
}

export interface ContractOptions {
  verifier: TokenVerifier;
  /** Validate every response against the contract (tests turn this on; a mismatch becomes a 500). */
  validateResponses: boolean;
  /**
   * Check the document itself against the OpenAPI 3.1 meta-schema first (~100 ms of start-up). Tests turn it
   * on, so a broken contract fails the suite; production trusts what the tests checked.
   */
  validateApiSpec?: boolean;
}

/** Request validation, authentication and authorization, all driven by openapi.yaml. */
export function contractValidator(opts: ContractOptions) {
  // The validator deep-clones the document itself before it touches it: no copy of ours needed.
  const apiSpec = loadSpec().doc as never;
  memoizeRouteRegexps();
  return OpenApiValidator.middleware({
    apiSpec,
    validateApiSpec: opts.validateApiSpec ?? false,
    validateRequests: { allowUnknownQueryParameters: false, coerceTypes: true, removeAdditional: false },
    validateResponses: opts.validateResponses ? { removeAdditional: false } : false,
    validateSecurity: { handlers: { bearerAuth: bearerAuthHandler(opts.verifier) } },
    validateFormats: true,
    ajvFormats: { mode: 'fast' },
    ignoreUndocumented: false,
    ignorePaths: /^\/(docs|asyncapi\.yaml)(\/|$)/,
    $refParser: { mode: 'dereference' },
    // No operation takes multipart bodies: without this, the validator loads multer, builds a second request
    // ajv at start and runs one more step on every request.
    fileUploader: false,
  });
}

/** `/openapi.yaml`, `/asyncapi.yaml` and Swagger UI at `/docs`, served from local files only. */
export function docsRouter(): Router {
  const router = express.Router();
  router.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(fullSpecText());
  });
  router.get('/asyncapi.yaml', (_req, res, next) => {
    fs.readFile(ASYNCAPI_PATH, 'utf8', (err, text) => (err ? next(err) : res.type('application/yaml').send(text)));
  });
  router.use('/docs', swaggerUiOnFirstUse());
  return router;
}
