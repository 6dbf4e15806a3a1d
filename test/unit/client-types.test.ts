import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type {
  Job as ClientJob,
  ContainerSummary,
  DockhandRestClient,
  ImageHistoryEntry,
  ImageSummary,
  Problem,
  Role as ClientRole,
} from '../../src/client/rest-client';
import type { Channel, EngineEvent as ClientEngineEvent, ErrorData as ClientErrorData, EventFilters, FrameType } from '../../src/client/ws-client';
import type { Role } from '../../src/domain/auth/roles';
import type { ErrorCode } from '../../src/domain/errors';
import type { EngineEvent } from '../../src/domain/events/engine-event';
import type { Job } from '../../src/domain/jobs/job';
import type { ChannelName, ErrorData, ServerFrameType, SubscribeEvents } from '../../src/ws/protocol';

const SCRIPT = path.resolve(__dirname, '../../scripts/gen-client-types.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { OUT } = require(SCRIPT) as { OUT: string };

/** True when each type is assignable to the other; a `false` where `true` is required is a compile error. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe('the typed clients (src/client)', () => {
  test('when openapi.yaml is generated into types now, then it equals the committed openapi-types.ts (run `npm run gen:types` when not)', () => {
    // A child process: openapi-typescript loads TypeScript itself, faster outside jest's module registry.
    const fresh = execFileSync(process.execPath, [SCRIPT, '--stdout'], { maxBuffer: 16 * 1024 * 1024 }).toString();
    const committed = fs.readFileSync(OUT, 'utf8');
    // Not toBe: a 2,800-line diff would bury the one thing to do.
    if (committed !== fresh)
      throw new Error(`${path.relative(process.cwd(), OUT)} is stale (openapi.yaml changed since it was generated): run \`npm run gen:types\``);
  });

  test("when the clients' types are compared with the server's, then they are the same (this file does not compile otherwise)", () => {
    // The contract's Job and events are what the jobs service and the events hub produce, and one error catalogue
    // serves REST and WebSocket: a field or code added on one side only breaks the build here.
    const same: true[] = [
      true satisfies Same<ClientJob, Job>,
      true satisfies Same<ClientEngineEvent, EngineEvent>,
      true satisfies Same<ClientErrorData['code'], ErrorCode>,
      true satisfies Same<ClientErrorData, ErrorData>,
      true satisfies Same<Exclude<Problem['code'], 'http_error'>, ErrorCode>,
      true satisfies Same<ClientRole, Role>,
      true satisfies Same<Channel, ChannelName>,
      true satisfies Same<FrameType, ServerFrameType>,
      true satisfies Same<keyof EventFilters, keyof NonNullable<SubscribeEvents['filters']>>,
      // The problem keeps its named fields beside its open ones.
      true satisfies Same<Problem['title'], string>,
      // The list answers are unwrapped from the operations' own types (a wrong status or operation would be never).
      true satisfies Same<ReturnType<DockhandRestClient['listImages']>, Promise<ImageSummary[]>>,
      true satisfies Same<ReturnType<DockhandRestClient['imageHistory']>, Promise<ImageHistoryEntry[]>>,
      true satisfies Same<ReturnType<DockhandRestClient['listJobs']>, Promise<ClientJob[]>>,
      true satisfies Same<ReturnType<DockhandRestClient['listContainers']>, Promise<ContainerSummary[]>>,
    ];
    expect(same).toHaveLength(14);
  });
});
