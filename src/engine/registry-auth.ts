import type { RegistryCredentials } from '../domain/registries/registry';

/**
 * The X-Registry-Auth header: base64url of the auth JSON, WITH '=' padding. The engine decodes it with
 * Go's base64.URLEncoding, which rejects unpadded input, and then silently treats the pull or push as
 * anonymous ("no basic auth credentials") — Node's 'base64url' drops the padding, so it is not used here.
 */
export function encodeRegistryAuth(creds: RegistryCredentials | undefined): string {
  const body = !creds
    ? {}
    : creds.identityToken
      ? { username: creds.username, identitytoken: creds.identityToken, serveraddress: creds.serverAddress }
      : { username: creds.username, password: creds.password ?? '', serveraddress: creds.serverAddress };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
