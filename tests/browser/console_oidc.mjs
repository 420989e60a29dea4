// The console's "Sign in with <authority>" in headless Chromium against a real OpenID Connect
// server (oidc-provider, tests/support/oauth/server.mjs): the authorization request carries PKCE
// (S256) and state, the person logs in at the authority, the console redeems the code itself
// (a public client: fetch to the token endpoint, CORS) and opens on the owner's enrollment
// groups with the authority's JWT. The token lives in sessionStorage (dps.token) and nowhere
// else. A redirect back that answers no sign-in of the tab (forged ?code=x&state=wrong, an
// unsolicited ?error=...&error_description=<text>, the real one replayed) is ignored: no token
// request, no sign-in, the text not shown, and a tab already signed in stays signed in with its
// token. Any console error, page error, CSP violation, failed request or error status fails the
// run.
//
// Environment (console_browser_test.cpp sets it):
//   DPS_CONSOLE_URL       https://127.0.0.1:<port>/console/
//   DPS_OIDC_AUTHORITY    the issuer, e.g. http://127.0.0.1:<port>
//   DPS_OIDC_LOGIN, DPS_OIDC_PASSWORD   an account of the authority's console client
//   DPS_OIDC_OWNER        the account's `sub` (dps's owner claim)
//   DPS_OIDC_AUDIENCE     the `aud` dps requires
//   DPS_OWN_GROUP_ID      a group of that owner the page must list
//   DPS_OTHER_GROUP_ID    another owner's group the page must not list
//   DPS_SCREENSHOT_DIR    where console-oidc.png goes
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import puppeteer from 'puppeteer-core';

const kWait = 20000;

function env(name) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`console_oidc: ${name} is not set\n`);
    process.exit(2);
  }
  return value;
}

const consoleUrl = env('DPS_CONSOLE_URL');
const authority = env('DPS_OIDC_AUTHORITY').replace(/\/+$/, '');
const login = env('DPS_OIDC_LOGIN');
const password = env('DPS_OIDC_PASSWORD');
const owner = env('DPS_OIDC_OWNER');
const audience = env('DPS_OIDC_AUDIENCE');
const ownGroup = env('DPS_OWN_GROUP_ID');
const otherGroup = env('DPS_OTHER_GROUP_ID');
const screenshots = env('DPS_SCREENSHOT_DIR');

const consoleOrigin = new URL(consoleUrl).origin;
// The console's fixed notice for an ignored sign-in answer (console/js/app.js, UNSOLICITED).
const kIgnored = 'A sign-in answer this tab did not ask for was ignored.';
const redirectUri = `${consoleOrigin}/console/`;
const signInText = `Sign in with ${new URL(authority).host}`;

const problems = [];
function check(condition, what) {
  if (!condition) throw new Error(what);
}
function step(text) {
  process.stdout.write(`console_oidc: ${text}\n`);
}

// Everything a page does that would be a bug: errors in the console or thrown, CSP violations
// (reported to the console by a listener installed before the page's scripts), failed requests
// and answers with an error status. `requests` keeps what went to the authority.
function watch(page, requests) {
  page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  page.on('console', (msg) => {
    const type = msg.type();
    const onConsole = page.url().startsWith(consoleOrigin);
    if (type === 'error' || (type === 'warn' && onConsole)) {
      problems.push(`console ${type} on ${page.url()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
  page.on('requestfailed', (req) => {
    problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
  });
  page.on('request', (req) => {
    if (req.url().startsWith(`${authority}/`)) requests.push(req);
  });
}

function claimsOf(jwt) {
  const part = jwt.split('.')[1];
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

async function clickButton(page, text) {
  const button = await page.waitForSelector(`::-p-xpath(//button[normalize-space()="${text}"])`, {
    visible: true,
    timeout: kWait,
  });
  await button.click();
}

async function alertText(page) {
  await page.waitForFunction(() => document.getElementById('signin-reason')?.textContent.trim(), {
    timeout: kWait,
  });
  return page.$eval('#signin-reason', (el) => `${el.getAttribute('role')}|${el.textContent.trim()}`);
}

async function storage(page) {
  return page.evaluate(() => ({
    session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
    local: Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])),
    documentCookie: document.cookie,
  }));
}

// Signs in through the authority; returns the token and the redirect back it came with.
async function signIn(page, requests) {
  step('console opens on its sign-in view with the authority offered');
  await page.goto(consoleUrl, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#signin-view:not([hidden])', { timeout: kWait });

  step(`"${signInText}" goes to the authority's login page`);
  await Promise.all([page.waitForNavigation({ timeout: kWait }), clickButton(page, signInText)]);
  check(page.url().startsWith(`${authority}/interaction/`), `not at the login page: ${page.url()}`);

  const auth = requests.find((r) => new URL(r.url()).pathname === '/auth');
  check(auth, 'no authorization request reached the authority');
  const q = new URL(auth.url()).searchParams;
  check(q.get('response_type') === 'code', `response_type ${q.get('response_type')}`);
  check(q.get('code_challenge_method') === 'S256', `code_challenge_method ${q.get('code_challenge_method')}`);
  check(/^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge') ?? ''), `code_challenge ${q.get('code_challenge')}`);
  check((q.get('state') ?? '').length >= 16, `state ${q.get('state')}`);
  check(q.get('redirect_uri') === redirectUri, `redirect_uri ${q.get('redirect_uri')}`);
  check(!q.has('client_secret') && !q.has('code_verifier'), 'secret material in the authorization request');
  // The verifier never leaves the tab before the token request.
  check(!auth.url().includes('verifier'), 'the verifier is in the authorization request');

  step('log in at the authority; back at the console, signed in');
  await page.type('#login', login);
  await page.type('#password', password);
  const back = page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(redirectUri), {
    timeout: kWait,
  });
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'networkidle0', timeout: kWait }),
    page.click('button[type=submit]'),
  ]);
  const returned = (await back).url();
  const rq = new URL(returned).searchParams;
  check(rq.get('code') && rq.get('state') === q.get('state'), `redirect back ${returned}`);
  await page.waitForFunction(() => location.hash === '#/groups', { timeout: kWait });
  await page.waitForSelector('::-p-xpath(//h1[normalize-space()="Enrollment groups"])', {
    visible: true,
    timeout: kWait,
  });
  check(!page.url().includes('code=') && !page.url().includes('state='), `code left in the address bar: ${page.url()}`);

  const token = requests.find((r) => new URL(r.url()).pathname === '/token' && r.method() === 'POST');
  check(token, 'the console made no token request');
  const form = new URLSearchParams(token.postData() ?? '');
  check(form.get('grant_type') === 'authorization_code', `grant_type ${form.get('grant_type')}`);
  check(form.get('code') === rq.get('code'), 'the token request redeems another code');
  check(/^[A-Za-z0-9_-]{43,128}$/.test(form.get('code_verifier') ?? ''), 'no code_verifier in the token request');
  check(form.get('redirect_uri') === redirectUri, `token request redirect_uri ${form.get('redirect_uri')}`);
  check(!form.has('client_secret') && !token.headers().authorization, 'a public client sent a secret');
  const answer = token.response();
  check(answer?.status() === 200, `token endpoint answered ${answer?.status()}`);
  check(answer.headers()['access-control-allow-origin'] === consoleOrigin,
    `token answer CORS: ${answer.headers()['access-control-allow-origin']}`);
  const body = await answer.json();
  return { accessToken: body.access_token, returned };
}

async function main() {
  mkdirSync(screenshots, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--ignore-certificate-errors'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    const requests = [];
    watch(page, requests);
    const { accessToken, returned } = await signIn(page, requests);

    step("the authority's token is the console's: issuer, owner, audience");
    const claims = claimsOf(accessToken);
    check(claims.iss === authority, `iss ${claims.iss}`);
    check(claims.sub === owner, `sub ${claims.sub}`);
    check([claims.aud].flat().includes(audience), `aud ${JSON.stringify(claims.aud)}`);

    step("the owner's groups are listed, another owner's are not");
    await page.waitForSelector(`[data-id="${ownGroup}"]`, { timeout: kWait });
    check(!(await page.$(`[data-id="${otherGroup}"]`)), "another owner's group is shown");

    step('the token is in sessionStorage only: not in localStorage, not in any cookie');
    const kept = await storage(page);
    check(kept.session['dps.token'] === accessToken, 'dps.token in sessionStorage is not the token');
    check(!('dps.oidc' in kept.session), 'the PKCE verifier and state outlived the sign-in');
    const signature = accessToken.split('.')[2];
    check(!Object.values(kept.local).some((v) => v.includes(signature)), 'the token is in localStorage');
    check(!Object.keys(kept.local).some((k) => k.startsWith('dps.')), `localStorage: ${Object.keys(kept.local)}`);
    check(!kept.documentCookie.includes(signature), 'the token is in a cookie of the page');
    // Cookies are per host, not per port: the authority's own (its session) are sent to dps's
    // origin too. None may hold the token.
    const cookies = await page.cookies(consoleUrl);
    check(!cookies.some((c) => c.value.includes(signature)), 'the token is in a cookie of the dps origin');

    const file = path.join(screenshots, 'console-oidc.png');
    await page.screenshot({ path: file, fullPage: true });
    step(`screenshot ${file}`);

    step('an unsolicited answer to a signed-in tab is ignored: token kept, its text not shown');
    const hostile = 'Your session expired: call +1 555 0100 <img src=x onerror=alert(1)>';
    for (const query of [
      `error=access_denied&error_description=${encodeURIComponent(hostile)}`,
      'code=x&state=wrong',
    ]) {
      const before = requests.length;
      await page.goto(`${redirectUri}?${query}#/groups`, { waitUntil: 'networkidle0' });
      await page.waitForSelector('::-p-xpath(//h1[normalize-space()="Enrollment groups"])', { visible: true, timeout: kWait });
      await page.waitForSelector(`[data-id="${ownGroup}"]`, { timeout: kWait });
      check((await storage(page)).session['dps.token'] === accessToken, `?${query} changed the signed-in tab's token`);
      check(requests.length === before, `?${query} reached the authority`);
      check(!page.url().includes('?'), `?${query} left in the address bar: ${page.url()}`);
      const shown = await page.evaluate(() => ({
        text: document.body.innerText,
        notice: document.getElementById('notice').textContent.trim(),
        imgs: document.querySelectorAll('img').length,
      }));
      check(!shown.text.includes('555 0100') && !shown.text.includes('access_denied'), `?${query}: its text is shown`);
      check(shown.imgs === 0, `?${query}: an <img> was made`);
      check(shown.notice === kIgnored, `?${query}: notice "${shown.notice}"`);
    }

    step('signing out forgets the token; the same redirect back cannot sign in again');
    await clickButton(page, 'Sign out');
    await page.waitForSelector('#signin-view:not([hidden])', { timeout: kWait });
    check(!(await storage(page)).session['dps.token'], 'dps.token kept after sign-out');
    const before = requests.length;
    await page.goto(returned, { waitUntil: 'networkidle0' });
    const replay = await alertText(page);
    check(replay === `alert|${kIgnored}`, `replayed redirect: ${replay}`);
    step(`  ignored: ${replay.slice('alert|'.length)}`);
    check(!(await storage(page)).session['dps.token'], 'a replayed redirect signed in');
    check(requests.length === before, 'a replayed redirect reached the authority');

    step('a forged redirect back (?code=x&state=wrong) is ignored, with no token request');
    // A context of its own: no authority session, so the sign-in stops at the login page with
    // a real state saved in the tab; the forged answer comes back instead.
    const context = await browser.createBrowserContext();
    const forged = await context.newPage();
    const forgedRequests = [];
    watch(forged, forgedRequests);
    await forged.goto(consoleUrl, { waitUntil: 'networkidle0' });
    await Promise.all([forged.waitForNavigation({ timeout: kWait }), clickButton(forged, signInText)]);
    check(forged.url().startsWith(`${authority}/interaction/`), `not at the login page: ${forged.url()}`);
    await forged.goto(`${redirectUri}?code=x&state=wrong`, { waitUntil: 'networkidle0' });
    const refusal = await alertText(forged);
    check(refusal === `alert|${kIgnored}`, `forged redirect: ${refusal}`);
    step(`  ignored: ${refusal.slice('alert|'.length)}`);
    await forged.waitForSelector('#signin-view:not([hidden])', { timeout: kWait });
    check(await forged.$eval('#nav', (el) => el.hidden), 'the navigation shows after a forged redirect');
    const after = await storage(forged);
    check(!after.session['dps.token'], 'a forged redirect signed in');
    // The sign-in the tab really started stays pending: a forged answer cannot cancel it.
    check('dps.oidc' in after.session, 'a forged redirect ended the sign-in started in the tab');
    check(!forgedRequests.some((r) => new URL(r.url()).pathname === '/token'),
      'a forged redirect made a token request');
    check(!forged.url().includes('code='), `forged code left in the address bar: ${forged.url()}`);
    await context.close();
  } finally {
    await browser.close();
  }
  if (problems.length) throw new Error(`the pages reported problems:\n  ${problems.join('\n  ')}`);
  step('ok');
}

main().catch((err) => {
  process.stderr.write(`console_oidc: FAILED: ${err.message}\n`);
  if (problems.length) process.stderr.write(`  also:\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
});
