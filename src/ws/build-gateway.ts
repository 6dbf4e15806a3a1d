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
  /** The queryable audit trail (exec and attach subscriptions); absent: audit log lines only. */
  audit?: AuditTrail;
}

/** `/api/v1/ws`, its four channels wired to the domain. Nothing listens until the HTTP server routes to it. */
export function buildWsGateway(s: WsServices, opts: Partial<WsGatewayOptions> = {}): WsGateway {
  return new WsGateway(
    {
      verifier: s.verifier,
      tickets: s.tickets,
      allowedOrigins: s.allowedOrigins,
      logger: s.logger,
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
