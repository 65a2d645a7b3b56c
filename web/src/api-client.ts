import { authorizationHeaders } from './api-key.ts';
import type { Problem } from './api-types.ts';

/**
 * fetch for the API: JSON in and out, the API key sent, problem+json errors thrown as
 * {@link ApiError}. A 401 also tells the listeners (main.ts shows the key prompt).
 */

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;

  constructor(status: number, problem: Problem | null, fallback: string) {
    super(problem ? `${problem.title}: ${problem.detail}` : fallback);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

const unauthorizedListeners = new Set<() => void>();

/** Called on every 401 (a key is needed, or the stored one is no longer valid). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** The ApiError of a failed response; reads the body. */
export async function errorOf(response: Response): Promise<ApiError> {
  let problem: Problem | null = null;
  try {
    const body = (await response.json()) as Problem;
    if (typeof body === 'object' && body !== null && 'title' in body) problem = body;
  } catch {
    // Not JSON (a proxy's error page): the status line is all there is.
  }
  if (response.status === 401) for (const listener of unauthorizedListeners) listener();
  return new ApiError(response.status, problem, `${response.status} ${response.statusText}`);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Sent as it is (a CSV upload) instead of as JSON. */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function apiFetch(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...authorizationHeaders(),
    ...options.headers,
  };
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    body,
    signal: options.signal,
  });
  if (!response.ok) throw await errorOf(response);
  return response;
}

/** The JSON answer of a call (204: undefined). */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await apiFetch(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A query string of the defined values. */
export function query(values: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== null && value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
