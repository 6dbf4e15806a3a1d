import type { Role } from '../domain/auth/roles';
import type { ChannelName } from './protocol';

/**
 * The least role of each WebSocket channel. Each channel enforces its entry on subscribe (its `role`), and
 * scripts/permissions-table.js writes docs/permissions.md from this table without building a gateway.
 */
export const CHANNEL_ROLES = {
  events: 'viewer',
  job: 'viewer',
  logs: 'viewer',
  'service-logs': 'viewer',
  stats: 'viewer',
  exec: 'admin',
  attach: 'admin',
} as const satisfies Record<ChannelName, Role>;
