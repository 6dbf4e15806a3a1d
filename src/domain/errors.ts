/**
 * Every failure the service reports has a stable code from this catalogue. Domain code throws
 * DomainError with a code; only the HTTP and WebSocket edges decide what status a code becomes.
 */
export const ERROR_CODES = [
  'invalid_request',
  'invalid_reference',
  'invalid_identifier',
  'unexpected_body',
  'unauthorized',
  'forbidden',
  'policy_denied',
  'bind_path_escapes',
  'not_found',
  'route_not_found',
  'method_not_allowed',
  'unsupported_media_type',
  'payload_too_large',
  'image_not_found',
  'image_in_use',
  'container_not_found',
  'container_running',
  'container_not_running',
  'container_paused',
  'name_conflict',
  'port_conflict',
  'conflict',
  'swarm_inactive',
  'not_swarm_manager',
  'swarm_already_active',
  'swarm_last_manager',
  'version_conflict',
  'precondition_failed',
  'update_rolled_back',
  'update_paused',
  'idempotency_mismatch',
  'idempotency_in_progress',
  'job_not_found',
  'registry_not_found',
  'registry_not_allowed',
  'registry_unreachable',
  'registry_auth_failed',
  'exec_not_found',
  'node_not_found',
  'service_not_found',
  'task_not_found',
  'engine_not_found',
  'resync_required',
  'rate_limited',
  'engine_unavailable',
  'engine_timeout',
  'engine_error',
  'shutting_down',
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable fields for the problem body (e.g. the containers that block a delete). */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
