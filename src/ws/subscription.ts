import type { Principal } from '../domain/auth/tokens';
import type { Role } from '../domain/auth/roles';
import type { DomainError } from '../domain/errors';
import type { InputFrame, ServerFrameType } from './protocol';

/** How a channel talks to its one subscriber; the connection behind it enforces the byte cap. */
export interface SubscriptionSink {
  readonly id: string;
  readonly principal: Principal;
  /** False once the subscription ended, was unsubscribed, or the socket closed. */
  readonly isOpen: boolean;
  /** Bytes queued on the socket and not yet written: channels that can wait (logs, stats) wait while it is high. */
  readonly bufferedAmount: number;
  /** Resolves when the socket has room again (or the subscription closed). */
  drained(): Promise<void>;
  /**
   * Sends one frame. `seq` defaults to this subscription's own counter; `raw` is data already serialized.
   * Returns false when nothing was sent (closed, or the client was cut off for not reading).
   */
  send(type: Exclude<ServerFrameType, 'end' | 'error'>, data: unknown, opts?: { seq?: number; raw?: string }): boolean;
  /** Sends `end` and releases the subscription. */
  end(data: { reason: string } & Record<string, unknown>, seq?: number): void;
  /** Sends `error` and releases the subscription. */
  fail(err: DomainError, seq?: number): void;
}

export interface Subscription {
  close(): void;
  /** Terminal channels (exec, attach) take `stdin` and `resize` frames; a DomainError thrown here is reported with id null. */
  input?(frame: InputFrame): void | Promise<void>;
}

export interface Channel<F> {
  /** The least role that may subscribe. */
  readonly role: Role;
  /** Validates the request, sends `subscribed` and starts; a DomainError thrown here becomes an `error` frame. */
  open(frame: F, sink: SubscriptionSink): Subscription | Promise<Subscription>;
}
