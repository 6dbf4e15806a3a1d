import { DomainError } from '../errors';
import type { EngineEvent } from './engine-event';

/** One numbered event with its JSON, serialized once for every subscriber. */
export interface LoggedEvent {
  event: EngineEvent;
  json: string;
}

/**
 * The bounded history behind `since`: a ring buffer of the last `capacity` events, in sequence order, also
 * bounded in bytes (events carry every label of their container, so a few can be large).
 */
export class EventLog {
  private readonly ring: (LoggedEvent | undefined)[];
  private start = 0;
  private size = 0;
  private last = 0;
  private bytes = 0;
  /** Events were lost after this seq (the engine could not replay all of an outage): no `since` at or before it can resume. */
  private gapAt = -1;

  constructor(
    readonly capacity: number,
    readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new TypeError('capacity must be a positive integer');
    this.ring = new Array<LoggedEvent | undefined>(capacity);
  }

  /** The sequence number of the newest event ever appended (0 before the first). */
  get lastSeq(): number {
    return this.last;
  }

  /** The oldest sequence number still held; lastSeq + 1 when empty. */
  get oldestSeq(): number {
    return this.size === 0 ? this.last + 1 : this.at(0).event.seq;
  }

  append(event: Omit<EngineEvent, 'seq'>): LoggedEvent {
    const full: EngineEvent = { seq: this.last + 1, ...event };
    const entry = { event: full, json: JSON.stringify(full) };
    this.last = full.seq;
    if (this.size === this.capacity) this.dropOldest();
    this.ring[(this.start + this.size) % this.capacity] = entry;
    this.size++;
    this.bytes += entry.json.length;
    // Keep at least the newest event, whatever its size, so that `since` stays answerable.
    while (this.bytes > this.maxBytes && this.size > 1) this.dropOldest();
    return entry;
  }

  /**
   * Every held event with seq > `since`, oldest first. Throws resync_required when events after `since`
   * have already left the buffer, or when `since` is a number this log never gave out (another process), or (unless
   * `acrossGap`: a plain listing of what is held) when events were lost after `since`.
   */
  after(since: number, acrossGap = false): LoggedEvent[] {
    if (since > this.last) {
      throw new DomainError(
        'resync_required',
        `sequence ${since} is ahead of the newest event (${this.last}): the service restarted; list the current state and subscribe without since`,
        {
          lastSeq: this.last,
        },
      );
    }
    if (since <= this.gapAt && !acrossGap) {
      throw new DomainError(
        'resync_required',
        `events after ${since} are incomplete (the engine lost some while its stream was down); list the current state and subscribe again`,
        {
          gapAfter: this.gapAt,
          lastSeq: this.last,
        },
      );
    }
    if (since < this.oldestSeq - 1) {
      throw new DomainError(
        'resync_required',
        `events after ${since} are no longer held (oldest is ${this.oldestSeq}); list the current state and subscribe again`,
        {
          oldestSeq: this.oldestSeq,
          lastSeq: this.last,
        },
      );
    }
    const out: LoggedEvent[] = [];
    const skip = since - (this.oldestSeq - 1);
    for (let i = skip; i < this.size; i++) out.push(this.at(i));
    return out;
  }

  /** Records that events were lost after the newest one held: resuming from it or anything older is refused. */
  markGap(): void {
    if (this.last > 0) this.gapAt = this.last;
  }

  private dropOldest(): void {
    this.bytes -= this.at(0).json.length;
    this.ring[this.start] = undefined;
    this.start = (this.start + 1) % this.capacity;
    this.size--;
  }

  private at(i: number): LoggedEvent {
    return this.ring[(this.start + i) % this.capacity]!;
  }
}
