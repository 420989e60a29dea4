// Sign-in through the OpenID Connect authority of /console/config.json: authorization code with
// PKCE (S256). The console is a public client (no secret): the verifier, kept in this tab's
// sessionStorage, proves the code's redeemer is the page that asked for it, and `state` ties the
// redirect back to that request so a forged redirect cannot sign the tab in as someone else.

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

/** True when this page load is the authority's redirect back (?code=... or ?error=...). */
export function isRedirectBack() {
  const params = new URLSearchParams(location.search);
  return params.has('code') || params.has('error');
}

/** Sends the browser to the authority. returnHash: the route to show once signed in. */
export async function beginSignIn(oidc, returnHash) {
  if (!window.isSecureContext || !crypto.subtle) {
    throw new Error('signing in with OpenID Connect needs https (or localhost): the browser offers no crypto.subtle here');
  }
  const meta = await oidcDiscovery(oidc.authority);
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
 * Finishes a redirect back: checks state, redeems the code, returns {token, returnHash}. The
 * code and state leave the address bar first, whatever happens (they must not be bookmarked or
 * reused). Throws with the authority's error, or why the answer was refused.
 */
export async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    saved = null;
  }
  sessionStorage.removeItem(KEY);
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  const authority = saved ? hostOf(saved.authority) : 'the authority';
  if (params.has('error')) {
    const description = params.get('error_description');
    throw new Error(`${authority} refused the sign-in: ${params.get('error')}${description ? ` (${description})` : ''}`);
  }
  if (!saved || !saved.state || params.get('state') !== saved.state) {
    throw new Error('the sign-in answer does not match a sign-in started in this tab (state); sign in again');
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
