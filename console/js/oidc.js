// Sign-in through the OpenID Connect authority of /console/config.json: authorization code with
// PKCE (S256). The console is a public client (no secret): the verifier, kept in this tab's
// sessionStorage, proves the code's redeemer is the page that asked for it, and `state` ties the
// redirect back to that request so a forged redirect cannot sign the tab in as someone else.
// Anyone can send a person to /console/?code=...&state=... or ?error=...&error_description=...:
// an answer that does not match a sign-in this tab started is dropped without a word of its text
// shown and without touching the tab's current sign-in.

import { oidcDiscovery, oidcTokenExchange } from './api.js';

const KEY = 'dps.oidc';

function base64url(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function redirectUri() {
  return `${location.origin}/console/`;
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** "Sign in with <host>": the button's text for an authority URL. */
export function authorityHost(authority) {
  return hostOf(authority);
}

// Discovery's issuer must be the authority configured (OpenID Connect Discovery 1.0, 4.3), or a
// document served at that address could send the browser, and its code, to another issuer.
// Only terminating slashes may differ: they are removed before /.well-known is appended (4.1).
function sameIssuer(issuer, authority) {
  const norm = (x) => String(x).replace(/\/+$/, '');
  return typeof issuer === 'string' && norm(issuer) === norm(authority);
}

/** Sends the browser to the authority. returnHash: the route to show once signed in. */
export async function beginSignIn(oidc, returnHash) {
  if (!window.isSecureContext || !crypto.subtle) {
    throw new Error('signing in with OpenID Connect needs https (or localhost): the browser offers no crypto.subtle here');
  }
  const meta = await oidcDiscovery(oidc.authority);
  if (!sameIssuer(meta.issuer, oidc.authority)) {
    throw new Error(
      `sign-in refused: ${hostOf(oidc.authority)}'s openid-configuration names the issuer ${String(meta.issuer || '(none)')}, not the configured authority ${oidc.authority}. The authority in dps's configuration must be exactly the issuer it names.`,
    );
  }
  const endpoints = [meta.authorization_endpoint, meta.token_endpoint];
  if (!endpoints.every((e) => typeof e === 'string' && /^https?:\/\//i.test(e))) {
    throw new Error(`${hostOf(oidc.authority)}'s openid-configuration has no usable authorization_endpoint and token_endpoint`);
  }
  const verifier = randomText(32);
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const state = randomText(16);
  sessionStorage.setItem(
    KEY,
    JSON.stringify({
      state,
      verifier,
      tokenEndpoint: meta.token_endpoint,
      authority: oidc.authority,
      clientId: oidc.clientId,
      returnHash: returnHash || '',
    }),
  );
  const url = new URL(meta.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', oidc.clientId);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('scope', oidc.scopes || 'openid');
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  location.assign(url.toString());
}

/**
 * Reads a redirect back from the authority (?code=... or ?error=...) off this page load.
 * Returns null when this load is none; else {matched: false} when it answers no sign-in started
 * in this tab (no saved sign-in, or another state), or {matched: true, params, saved}. The
 * query leaves the address bar in every case (a code must not be bookmarked or replayed), and
 * the saved sign-in is used up: one answer per sign-in.
 */
export function takeRedirectBack() {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return null;
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    saved = null;
  }
  if (!saved || typeof saved.state !== 'string' || !saved.state || params.get('state') !== saved.state) {
    // The pending sign-in, if any, stays usable: a forged answer must not end a real one.
    return { matched: false };
  }
  sessionStorage.removeItem(KEY);
  return { matched: true, params, saved };
}

/**
 * Finishes a matched redirect back: redeems the code, returns {token, returnHash}. Throws with
 * the authority's error (it answered our own request: its text may be shown) or why the answer
 * was refused.
 */
export async function completeSignIn({ params, saved }) {
  const authority = hostOf(saved.authority);
  if (params.has('error')) {
    const description = params.get('error_description');
    throw new Error(`${authority} refused the sign-in: ${params.get('error')}${description ? ` (${description})` : ''}`);
  }
  const answer = await oidcTokenExchange(saved.tokenEndpoint, {
    grant_type: 'authorization_code',
    code: params.get('code') || '',
    redirect_uri: redirectUri(),
    client_id: saved.clientId,
    code_verifier: saved.verifier,
  });
  if (typeof answer.access_token !== 'string' || !answer.access_token) {
    throw new Error(`${authority}'s token endpoint answered no access_token`);
  }
  return { token: answer.access_token, returnHash: saved.returnHash };
}
