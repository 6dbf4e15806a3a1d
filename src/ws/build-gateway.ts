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
import { ServiceLogsChannel } from './channels/service-logs-channel';
import { swarmPeers } from '../domain/swarm/swarm-peers';
import type { SwarmService } from '../domain/swarm/swarm-service';
import { StatsChannel } from './channels/stats-channel';
import { terminalChannels, type TerminalChannelDeps } from './channels/terminal-channels';
import { WsGateway, type WsGatewayOptions } from './gateway';
import type { SubscriptionGuard } from './connection';
import type { ChannelName } from './protocol';
import type { StreamBudget } from '../domain/limits/stream-budget';
import type { RateLimiter } from '../domain/limits/rate-limiter';
import type { TerminalService } from '../domain/terminal/exec-service';
import { DEFAULT_ENGINE, type EngineDirectory } from '../domain/engines/engine-directory';
import { DomainError } from '../domain/errors';
import type { PerEngine } from './per-engine';

export interface WsServices {
  logger: Logger;
  verifier: TokenVerifier;
  tickets: WsTicketStore;
  events: EventsHub;
  /** The engines by name (absent: `default` alone, from the fields below). */
  engines?: EngineDirectory<{ containerStreams: ContainerStreams; terminals: TerminalService; swarm?: SwarmService }>;
  /** Absent when this build has no jobs service or container streams: those channels then refuse clearly. */
  jobs?: JobFeed;
  /** The `default` engine's container streams. */
  containerStreams?: ContainerStreams;
  /** exec and attach (admin) on the `default` engine; absent: those channels refuse. */
  terminalSessions?: { terminals: TerminalService; idleTimeoutMs: number; audit: TerminalChannelDeps['audit'] };
  allowedOrigins: string[];
  /** Concurrent streams per token and in all; absent: uncapped. */
  streams?: StreamBudget;
  /** The per-token budget `GET …/logs` draws on: a logs follow takes from it too. */
  logTails?: RateLimiter;
  /** The queryable audit trail (exec and attach subscriptions); absent: audit log lines only. */
  audit?: AuditTrail;
}

/** Channels whose subscriptions hold an engine stream or a place in the event fan-out: these count as streams. */
const STREAM_CHANNELS: ReadonlySet<ChannelName> = new Set<ChannelName>(['logs', 'service-logs', 'stats', 'events', 'exec', 'attach']);

function subscriptionGuard(s: WsServices): SubscriptionGuard {
  return (channel, principal) => {
    if (channel === 'logs' || channel === 'service-logs') s.logTails?.take(principal.name);
    return STREAM_CHANNELS.has(channel) && s.streams ? s.streams.acquire(principal.name) : () => undefined;
  };
}

/** `/api/v1/ws`, its four channels wired to the domain. Nothing listens until the HTTP server routes to it. */
export function buildWsGateway(s: WsServices, opts: Partial<WsGatewayOptions> = {}): WsGateway {
  const engines = s.engines;
  // Without an engine directory only `default` exists; with one, an engine the token may not use is engine_not_found.
  const perEngine =
    <T>(fromScope: (scope: { containerStreams: ContainerStreams; terminals: TerminalService; swarm?: SwarmService }) => T, own: T): PerEngine<T> =>
    (engine, principal) => {
      if (engines) return fromScope(engines.get(engine, principal));
      if (engine !== DEFAULT_ENGINE) throw new DomainError('engine_not_found', `no engine "${engine}"`, { engine });
      return own;
    };
  const terminals = s.terminalSessions;
  const peers = engines && swarmPeers(engines);
  return new WsGateway(
    {
      verifier: s.verifier,
      tickets: s.tickets,
      allowedOrigins: s.allowedOrigins,
      logger: s.logger,
      guard: subscriptionGuard(s),
      ...(s.audit ? { audit: s.audit } : {}),
      channels: {
        events: new EventsChannel(s.events, (requested, principal) =>
          engines
            ? engines.eventEngines(requested, principal)
            : perEngine(() => [DEFAULT_ENGINE], [DEFAULT_ENGINE])(requested?.[0] ?? DEFAULT_ENGINE, principal),
        ),
        job: new JobChannel(s.jobs),
        logs: new LogsChannel(perEngine((x) => x.containerStreams, s.containerStreams)),
        'service-logs': new ServiceLogsChannel(
          perEngine((x) => x.swarm, undefined),
          peers ? (principal) => peers.nodeEngines(principal) : async () => new Map(),
        ),
        stats: new StatsChannel(perEngine((x) => x.containerStreams, s.containerStreams)),
        ...terminalChannels(terminals && { ...terminals, terminals: perEngine((x) => x.terminals, terminals.terminals) }),
      },
    },
    opts,
  );
}
