import type { AuditTrail } from '../domain/audit/audit-trail';
import type { Logger } from 'pino';
import type { ContainerStreams } from '../domain/containers/container-streams';
import type { TokenVerifier } from '../domain/auth/tokens';
import type { WsTicketStore } from '../domain/auth/ws-tickets';
import type { EventsHub } from '../domain/events/events-hub';
import type { JobFeed } from '../domain/jobs/job';
import { EventsChannel } from './channels/events-channel';
import { JobChannel } from './channels/job-channel';
import { LogsChannel } from './channels/logs-channel';
import { StatsChannel } from './channels/stats-channel';
import { terminalChannels, type TerminalChannelDeps } from './channels/terminal-channels';
import { WsGateway, type WsGatewayOptions } from './gateway';
import type { SubscriptionGuard } from './connection';
import type { ChannelName } from './protocol';
import type { StreamBudget } from '../domain/limits/stream-budget';
import type { RateLimiter } from '../domain/limits/rate-limiter';

export interface WsServices {
  logger: Logger;
  verifier: TokenVerifier;
  tickets: WsTicketStore;
  events: EventsHub;
  /** Absent when this build has no jobs service or container streams: those channels then refuse clearly. */
  jobs?: JobFeed;
  containerStreams?: ContainerStreams;
  /** exec and attach (admin); absent: those channels refuse. */
  terminalSessions?: TerminalChannelDeps;
  allowedOrigins: string[];
  /** Concurrent streams per token and in all; absent: uncapped. */
  streams?: StreamBudget;
  /** The per-token budget `GET …/logs` draws on: a logs follow takes from it too. */
  logTails?: RateLimiter;
  /** The queryable audit trail (exec and attach subscriptions); absent: audit log lines only. */
  audit?: AuditTrail;
}

/** Channels whose subscriptions hold an engine stream or a place in the event fan-out: these count as streams. */
const STREAM_CHANNELS: ReadonlySet<ChannelName> = new Set<ChannelName>(['logs', 'stats', 'events', 'exec', 'attach']);

function subscriptionGuard(s: WsServices): SubscriptionGuard {
  return (channel, principal) => {
    if (channel === 'logs') s.logTails?.take(principal.name);
    return STREAM_CHANNELS.has(channel) && s.streams ? s.streams.acquire(principal.name) : () => undefined;
  };
}

/** `/api/v1/ws`, its four channels wired to the domain. Nothing listens until the HTTP server routes to it. */
export function buildWsGateway(s: WsServices, opts: Partial<WsGatewayOptions> = {}): WsGateway {
  return new WsGateway(
    {
      verifier: s.verifier,
      tickets: s.tickets,
      allowedOrigins: s.allowedOrigins,
      logger: s.logger,
      guard: subscriptionGuard(s),
      ...(s.audit ? { audit: s.audit } : {}),
      channels: {
        events: new EventsChannel(s.events),
        job: new JobChannel(s.jobs),
        logs: new LogsChannel(s.containerStreams),
        stats: new StatsChannel(s.containerStreams),
        ...terminalChannels(s.terminalSessions),
      },
    },
    opts,
  );
}
