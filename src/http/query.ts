/** Query values the validator has already checked: arrays of strings, or a single string it wraps. */
export function queryList(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).map(String);
}

export function queryBool(v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  return v === true || v === 'true';
}

export function queryInt(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'number' ? v : Number(v);
}

/** `Cache-Control: no-cache` or `max-age=0` on a read: the caller wants the engine asked now (see ReadOptions). */
export function readOptions(header: (name: string) => string | undefined): { fresh: boolean } {
  const cc = header('Cache-Control');
  return { fresh: cc !== undefined && /(?:^|,)\s*(?:no-cache|max-age\s*=\s*0)\s*(?:,|$)/i.test(cc) };
}
