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

// The page left (or the request was cancelled): fetch's own kind of error, so callers can tell it
// from a failure.
function abortError(signal) {
  return signal && signal.reason instanceof Error ? signal.reason : new DOMException('the request was cancelled', 'AbortError');
}

// setTimeout that a signal ends early (rejecting with the abort error): a page left while dps is
// down stops waiting for it at once.
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      if (signal) signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal aborted when any of the given ones is (undefined ones are ignored). */
function anySignal(signals) {
  const present = signals.filter(Boolean);
  if (present.length <= 1) return present[0];
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(present);
  const controller = new AbortController();
  for (const s of present) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}

// Methods sent again after a network failure: reading, and writes that replace or delete a
// named object, which give the same result when they arrive twice. A POST creates (a second
// group, a second verification code) and is never repeated behind the operator's back.
const RETRIED = new Set(['GET', 'PUT', 'DELETE']);

/** A POST that could not reach dps, not sent again: an ApiError with status 0 for the page. */
function notSent(e) {
  const why = (e && e.message) || String(e);
  return new ApiError(0, 0, `dps cannot be reached (${why}). This was not sent again by itself: once dps is back, check whether it was done, then submit again.`);
}

// fetch that outlives dps restarts: a network failure (connection refused, reset) shows the
// reconnecting banner and tries the same request again, 1 s, 2 s, 4 s ... 10 s apart, until dps
// answers or the signal (the page was left) ends it. The caller just awaits longer; its form
// keeps what the user typed. makeInit() builds the request anew for every attempt (the token
// may have changed meanwhile); it returns {init, sent: the token sent}. Not retried (POST): the
// failure is thrown as an ApiError with status 0 for the page to show.
async function fetchRetrying(path, makeInit, { method = 'GET', signal } = {}) {
  let delay = 1000;
  let waiting = false;
  try {
    for (;;) {
      if (signal && signal.aborted) throw abortError(signal);
      const attempt = makeInit();
      try {
        const response = await fetch(path, { ...attempt.init, signal });
        return { response, sent: attempt.sent };
      } catch (e) {
        if ((e && e.name === 'AbortError') || (signal && signal.aborted)) throw signal && signal.aborted ? abortError(signal) : e;
        if (!RETRIED.has(method)) throw notSent(e);
        if (!waiting) {
          waiting = true;
          setRetrying(1);
        }
        await sleep(delay, signal);
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

// auth: false sends no token (/metrics is public: the token has no business there).
async function request(method, path, body, { raw = false, auth = true, signal } = {}) {
  const makeInit = () => {
    const headers = { Accept: 'application/json' };
    const token = auth ? getToken() : '';
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method, headers, cache: 'no-store', credentials: 'same-origin' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return { init, sent: token };
  };
  const { response, sent } = await fetchRetrying(path, makeInit, { method, signal });
  if (!response.ok) {
    const error = await errorFrom(response);
    // Only the token this request carried was refused: one signed in with while the request was
    // on its way (a slow answer, a retry) is newer and stays.
    if (response.status === 401 && auth && getToken() === sent) {
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
function splitJsonStream(text) {
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

async function list(path, options) {
  const text = await request('GET', path, undefined, { ...options, raw: true });
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

// Every call takes an optional last argument {signal}: aborting it cancels the request, and its
// retries while dps is down. An api from withSignal(s) also stops when s is aborted: the shell
// gives each page one bound to the page, so leaving the page cancels what it still waits for.
function boundTo(pageSignal) {
  const opts = (o) => ({ signal: anySignal([pageSignal, o && o.signal]) });
  return {
    get: (path, o) => request('GET', path, undefined, opts(o)),
    list: (path, o) => list(path, opts(o)),
    post: (path, body, o) => request('POST', path, body === undefined ? {} : body, opts(o)),
    put: (path, body, o) => request('PUT', path, body, opts(o)),
    del: (path, o) => request('DELETE', path, undefined, opts(o)),
    /** GET /metrics as text: public, sent without the token. */
    metricsText: (o) => request('GET', '/metrics', undefined, { ...opts(o), raw: true, auth: false }),
    withSignal: (signal) => boundTo(anySignal([pageSignal, signal])),
  };
}

export const api = boundTo(undefined);

/** /console/config.json: {} or {oidc: {authority, clientId, scopes}}. */
export async function consoleConfig() {
  const { response } = await fetchRetrying('config.json', () => ({ init: { cache: 'no-store', credentials: 'same-origin' }, sent: '' }));
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
