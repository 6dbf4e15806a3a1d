import pino from 'pino';
import type { TokenVerifier } from '../../../src/domain/auth/tokens';
import type { WsTicketStore } from '../../../src/domain/auth/ws-tickets';
import type { EventsHub } from '../../../src/domain/events/events-hub';
import { buildWsGateway } from '../../../src/ws/build-gateway';
import { CHANNEL_ROLES } from '../../../src/ws/channel-roles';

describe('WebSocket channel roles', () => {
  test('when the gateway is built, then every channel enforces the role CHANNEL_ROLES gives it (the table docs/permissions.md is written from)', () => {
    // The channels only keep their collaborators until a subscription opens: none is called here.
    const gateway = buildWsGateway({
      logger: pino({ level: 'silent' }),
      verifier: {} as TokenVerifier,
      tickets: {} as WsTicketStore,
      events: {} as EventsHub,
      allowedOrigins: [],
    });
    expect(gateway.channelRoles).toEqual(CHANNEL_ROLES);
  });
});
