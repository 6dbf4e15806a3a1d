/** `p`, or a rejection with `timeoutError()` (default: "no answer within N ms") once `ms` have passed; the timer is always cleared. */
export const withTimeout = <T>(p: Promise<T>, ms: number, timeoutError: () => Error = () => new Error(`no answer within ${ms} ms`)): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(timeoutError()), ms);
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });
