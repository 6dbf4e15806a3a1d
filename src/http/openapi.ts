import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import swaggerUi from 'swagger-ui-express';
import YAML from 'yaml';
import type { TokenVerifier } from '../domain/auth/tokens';
import { bearerAuthHandler } from './auth';

export const SPEC_PATH = path.resolve(__dirname, '../../openapi.yaml');
export const ASYNCAPI_PATH = path.resolve(__dirname, '../../asyncapi.yaml');

let cached: { text: string; doc: Record<string, unknown> } | undefined;

/** The contract, read once per process. */
export function loadSpec(): { text: string; doc: Record<string, unknown> } {
  if (!cached) {
    const text = fs.readFileSync(SPEC_PATH, 'utf8');
    cached = { text, doc: YAML.parse(text) as Record<string, unknown> };
  }
  return cached;
}

export interface ContractOptions {
  verifier: TokenVerifier;
  /** Validate every response against the contract (tests turn this on; a mismatch becomes a 500). */
  validateResponses: boolean;
}

/** Request validation, authentication and authorization, all driven by openapi.yaml. */
export function contractValidator(opts: ContractOptions) {
  const apiSpec = structuredClone(loadSpec().doc) as never;
  return OpenApiValidator.middleware({
    apiSpec,
    validateRequests: { allowUnknownQueryParameters: false, coerceTypes: true, removeAdditional: false },
    validateResponses: opts.validateResponses ? { removeAdditional: false } : false,
    validateSecurity: { handlers: { bearerAuth: bearerAuthHandler(opts.verifier) } },
    validateFormats: 'fast',
    ignoreUndocumented: false,
    ignorePaths: /^\/(docs|asyncapi\.yaml)(\/|$)/,
    $refParser: { mode: 'dereference' },
  });
}

/** `/openapi.yaml`, `/asyncapi.yaml` and Swagger UI at `/docs`, served from local files only. */
export function docsRouter(): Router {
  const router = express.Router();
  const spec = loadSpec();
  router.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(spec.text);
  });
  router.get('/asyncapi.yaml', (_req, res, next) => {
    fs.readFile(ASYNCAPI_PATH, 'utf8', (err, text) => (err ? next(err) : res.type('application/yaml').send(text)));
  });
  router.use(
    '/docs',
    swaggerUi.serveFiles(undefined, { swaggerOptions: { url: '/openapi.yaml' } }),
    swaggerUi.setup(undefined, {
      customSiteTitle: 'Dockhand API',
      swaggerOptions: { url: '/openapi.yaml', persistAuthorization: true, displayRequestDuration: true, tryItOutEnabled: true },
    }),
  );
  return router;
}
