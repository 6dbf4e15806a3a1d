import { DomainError, ERROR_CODES } from '../../src/domain/errors';
import { toDomainError } from '../../src/engine/engine-errors';
import { STATUS_BY_CODE, statusFor, toProblemError } from '../../src/http/problem';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

describe('the code → status table', () => {
  test('when any catalogue code is looked up, then it maps to a 4xx or 5xx status', () => {
    for (const code of ERROR_CODES) {
      expect(STATUS_BY_CODE[code]).toBeGreaterThanOrEqual(400);
      expect(statusFor(code)).toBe(STATUS_BY_CODE[code]);
    }
  });

  test('when the contract lists problem codes, then they are exactly the catalogue', () => {
    const spec = YAML.parse(fs.readFileSync(path.resolve(__dirname, '../../openapi.yaml'), 'utf8'));
    expect([...spec.components.schemas.Problem.properties.code.enum].sort()).toEqual([...ERROR_CODES].sort());
  });
});

describe('engine failures', () => {
  const engineError = (statusCode: number, message: string) =>
    Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json: { message } });

  test('when the engine answers 404 for an image call, then image_not_found with the engine’s message', () => {
    const e = toDomainError(engineError(404, 'No such image: x:latest'), { notFound: 'image_not_found' });
    expect(e.code).toBe('image_not_found');
    expect(e.message).toBe('No such image: x:latest');
  });

  test('when the engine answers 409, then the call’s conflict code', () => {
    expect(toDomainError(engineError(409, 'in use'), { conflict: 'image_in_use' }).code).toBe('image_in_use');
  });

  test('when the engine answers 500, then engine_error, never the engine’s status passed through', () => {
    const e = toDomainError(engineError(500, 'boom'));
    expect(e.code).toBe('engine_error');
  });

  test.each(['ECONNREFUSED', 'ENOENT', 'ECONNRESET'])('when the socket fails with %s, then engine_unavailable', (code) => {
    expect(toDomainError(Object.assign(new Error('connect failed'), { code })).code).toBe('engine_unavailable');
  });

  test('when the error is already a DomainError, then it is kept', () => {
    const d = new DomainError('invalid_reference', 'x');
    expect(toDomainError(d)).toBe(d);
  });
});

describe('toProblemError', () => {
  test('when the validator reports fields, then invalid_request lists each path', () => {
    const e = toProblemError({ status: 400, errors: [{ path: '/body/image', message: 'must be string' }] });
    expect(e.code).toBe('invalid_request');
    expect(e.details).toEqual({ errors: [{ path: 'body.image', message: 'must be string' }] });
  });

  test('when the body is too large, then payload_too_large', () => {
    expect(toProblemError({ type: 'entity.too.large', status: 413 }).code).toBe('payload_too_large');
  });

  test('when the body is not JSON, then invalid_request', () => {
    expect(toProblemError({ type: 'entity.parse.failed', status: 400 }).code).toBe('invalid_request');
  });

  test('when something unknown is thrown, then internal_error without its message', () => {
    const e = toProblemError(new Error('secret internals'));
    expect(e.code).toBe('internal_error');
    expect(e.message).not.toContain('secret');
  });
});
