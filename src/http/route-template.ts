const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A contract path template (`/images/{ref}`) as regular-expression source, and the names of its parameters in order. */
export function templateSource(route: string): { source: string; names: string[] } {
  const names: string[] = [];
  const source = route
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{(.+)\}$/.exec(part);
      if (!m) return escapeRegExp(part);
      names.push(m[1]);
      return '([^/]+)';
    })
    .join('');
  return { source, names };
}
