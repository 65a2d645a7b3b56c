/**
 * The API key of a server run with API_KEYS: asked for once (the key prompt view), kept in
 * localStorage for this origin, and sent as `Authorization: Bearer <key>` on every /v1 call.
 */

const STORAGE_KEY = 'descent.apiKey';

export function storedApiKey(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeApiKey(key: string | null): void {
  try {
    if (key === null) localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage refused (private mode): the key lasts as long as the page.
  }
  sessionKey = key;
}

let sessionKey: string | null = storedApiKey();

export function authorizationHeaders(): Record<string, string> {
  return sessionKey === null ? {} : { authorization: `Bearer ${sessionKey}` };
}
