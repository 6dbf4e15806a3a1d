import Docker from 'dockerode';
import { testEnv } from '../../support/test-env';

/** Direct engine access for arranging and asserting, bypassing the service under test. */
export const engine = (): Docker => new Docker({ socketPath: testEnv().socketPath });

export async function imagePresent(name: string): Promise<boolean> {
  try {
    await engine().getImage(name).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Removes images by name, ignoring the ones already gone. */
export async function removeImages(...names: string[]): Promise<void> {
  for (const name of names) {
    try {
      await engine().getImage(name).remove({ force: true });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }
}
