/** A trigger's token is its credential and sits in its URL: logs and problem documents show `***` in its place. */
const TRIGGER_TOKEN = /^(\/api\/v1\/triggers\/)(?!by-id(?:\/|$))[^/]+/i;

export const maskSecretPath = (path: string): string => path.replace(TRIGGER_TOKEN, '$1***');
