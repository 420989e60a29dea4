// The one module that talks to the network: the management API (same origin), the console's
// config, /metrics, and the OIDC authority during sign-in. Pages get `api` through ctx.

const TOKEN_KEY = 'dps.token';
const MAX_BACKOFF_MS = 10000;

/** A non-2xx answer: status (HTTP), code (gRPC code from the body), message (the API's own). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

// The token lives in sessionStorage: gone with the tab, never sent by the browser on its own
// (no cookie), not shared with other tabs or kept on disk the way localStorage is.
export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}
export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}
export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

let unauthorizedHandler = () => {};
let connectivityHandler = () => {};
/** fn(reason): called on every 401, after the token was cleared. */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}
/** fn(reconnecting: boolean): true while at least one request waits for dps to come back. */
export function onConnectivity(fn) {
  connectivityHandler = fn;
}

let retrying = 0;
function setRetrying(delta) {
  const before = retrying;
  retrying += delta;
  if ((before === 0) !== (retrying === 0)) connectivityHandler(retrying > 0);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// fetch that outlives dps restarts: a network failure (connection refused, reset) shows the
// reconnecting banner and tries the same request again, 1 s, 2 s, 4 s ... 10 s apart, until dps
// answers. The caller just awaits longer; its form keeps what the user typed.
async function fetchRetrying(path, init) {
  let delay = 1000;
  let waiting = false;
  try {
    for (;;) {
      try {
        return await fetch(path, init);
      } catch (e) {
        if (e && e.name === 'AbortError') throw e;
        if (!waiting) {
          waiting = true;
          setRetrying(1);
        }
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      }
    }
  } finally {
    if (waiting) setRetrying(-1);
  }
}

async function errorFrom(response) {
  let code = 0;
  let message = `HTTP ${response.status} ${response.statusText || ''}`.trim();
  try {
    const text = await response.text();
    if (text) {
      const body = JSON.parse(text);
      if (body && typeof body.message === 'string') message = body.message;
      if (body && typeof body.code === 'number') code = body.code;
    }
  } catch {
    // Not JSON (a proxy's page): keep the status line.
  }
  return new ApiError(response.status, code, message);
}

async function request(method, path, body, { raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, cache: 'no-store', credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetchRetrying(path, init);
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401) {
      clearToken();
      unauthorizedHandler(error.message);
    }
    throw error;
  }
  const text = await response.text();
  if (raw) return text;
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 0, `the answer to ${method} ${path} is not JSON`);
  }
}

/**
 * Splits a stream of JSON values ({"result": ...} lines, or the same pretty-printed) into
 * their texts, tracking strings and nesting so a "}" inside a name does not end an object.
 */
export function splitJsonStream(text) {
  const values = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
    } else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth += 1;
    } else if (c === '}' || c === ']') {
      depth -= 1;
      if (depth < 0) throw new Error('malformed list answer');
      if (depth === 0) values.push(text.slice(start, i + 1));
    } else if (depth === 0 && !/\s/.test(c)) {
      throw new Error('malformed list answer');
    }
  }
  if (depth !== 0 || inString) throw new Error('truncated list answer');
  return values;
}

async function list(path) {
  const text = await request('GET', path, undefined, { raw: true });
  const results = [];
  for (const part of splitJsonStream(text)) {
    const line = JSON.parse(part);
    if (line && line.error) {
      throw new ApiError(200, line.error.code || 0, line.error.message || 'error in the list');
    }
    if (line && line.result !== undefined) results.push(line.result);
  }
  return results;
}

export const api = {
  get: (path) => request('GET', path),
  list,
  post: (path, body) => request('POST', path, body === undefined ? {} : body),
  put: (path, body) => request('PUT', path, body),
  del: (path) => request('DELETE', path),
  /** GET /metrics as text (public; the token is sent along and ignored). */
  metricsText: () => request('GET', '/metrics', undefined, { raw: true }),
};

/** /console/config.json: {} or {oidc: {authority, clientId, scopes}}. */
export async function consoleConfig() {
  const response = await fetchRetrying('config.json', { cache: 'no-store', credentials: 'same-origin' });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

// The OIDC authority is another origin: no retry banner (that is about dps), no token sent.
async function authorityFetch(url, init) {
  let response;
  try {
    response = await fetch(url, { ...init, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    throw new Error(`cannot reach ${new URL(url).host}: ${e.message}`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // handled below
  }
  if (!response.ok) {
    const detail = body && (body.error_description || body.error);
    throw new Error(`${new URL(url).host} answered ${response.status}${detail ? `: ${detail}` : ''}`);
  }
  if (!body || typeof body !== 'object') throw new Error(`${new URL(url).host} did not answer JSON`);
  return body;
}

/** GET <authority>/.well-known/openid-configuration. */
export function oidcDiscovery(authority) {
  return authorityFetch(`${authority.replace(/\/+$/, '')}/.well-known/openid-configuration`, { method: 'GET' });
}

/** POST the authorization code to the token endpoint (form-encoded, public client + PKCE). */
export function oidcTokenExchange(tokenEndpoint, params) {
  return authorityFetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(params).toString(),
  });
}
