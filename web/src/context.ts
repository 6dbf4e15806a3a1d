import type { ContainerSummary, Job } from '../../src/client/rest-client';
import type { Session } from './session';

/** What the panels share: the session, a place to tell people what happened, and each other's refresh. */
export interface Ctx {
  session: Session;
  announce(message: string, kind?: 'ok' | 'error'): void;
  refreshImages(): void;
  refreshContainers(): void;
  refreshJobs(): void;
  /** Shows a job's live progress (pull form, jobs panel, re-attach after a reload). */
  watchJob(job: Job): void;
  /** Opens the logs and stats pane for a container. */
  openLive(container: ContainerSummary): void;
  /** Opens the terminal pane (admin) for a container; focus returns to `opener` when it closes. */
  openTerminal(container: ContainerSummary, opener?: HTMLElement): void;
}
