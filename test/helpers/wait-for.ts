/** Polls `pred` until it holds, every `everyMs`; throws after `ms`. For changes that arrive by the event stream. */
export async function waitFor(pred: () => Promise<boolean>, ms = 5000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Polls `fn` until it returns a value (not undefined), every `everyMs`; throws naming `what` after `ms`. */
export async function waitForValue<T>(what: string, fn: () => Promise<T | undefined>, ms = 90000, everyMs = 300): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
