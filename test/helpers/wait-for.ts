/** Polls `pred` until it holds, every `everyMs`; throws after `ms`. For changes that arrive by the event stream. */
export async function waitFor(pred: () => Promise<boolean>, ms = 5000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
