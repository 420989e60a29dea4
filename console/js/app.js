// The console's shell: sign-in, the router (location.hash -> console/js/pages/<name>.js), the
// navigation, the reconnecting banner and the notices. Pages are loaded with import() when first
// shown, so a page that fails to load (or does not exist yet) shows an error in its place
// instead of stopping the console.

import { api, ApiError, getToken, setToken, clearToken, onUnauthorized, onConnectivity, consoleConfig } from './api.js';
import { h, clear, errorText, setAlert, formatDate } from './dom.js';
import { decodeJwtClaims } from './pem.js';
import { authorityHost, beginSignIn, completeSignIn, takeRedirectBack } from './oidc.js';

const DEFAULT_ROUTE = '#/groups';
const ROUTES = {
  '#/groups': { module: 'groups', title: 'Enrollment groups' },
  '#/individual': { module: 'individual', title: 'Individual enrollments' },
  '#/templates': { module: 'templates', title: 'Templates' },
  '#/hubs': { module: 'hubs', title: 'Hubs' },
  '#/records': { module: 'records', title: 'Provisioning records' },
  '#/live': { module: 'live', title: 'Live' },
  '#/explain': { module: 'explain', title: 'Explain' },
};

const $ = (id) => document.getElementById(id);
const els = {
  nav: $('nav'),
  session: $('session'),
  who: $('who'),
  signOut: $('sign-out'),
  banner: $('banner'),
  notice: $('notice'),
  main: $('main'),
  signinView: $('signin-view'),
  signinTitle: $('signin-title'),
  signinReason: $('signin-reason'),
  signinStatus: $('signin-status'),
  signinOidc: $('signin-oidc'),
  signinForm: $('signin-form'),
  signinToken: $('signin-token'),
  pageRoot: $('page-root'),
};

let config = {};
let configProblem = ''; // why /console/config.json could not be read, shown at sign-in
let generation = 0; // which navigation is current: a slow page load must not draw over a newer one
let current = null; // {controller, cleanup} of the page on screen

// ---- notices and banner ----

let noticeTimer = 0;
function notify(text) {
  clearTimeout(noticeTimer);
  setAlert(els.notice, text);
  if (text) noticeTimer = setTimeout(() => setAlert(els.notice, ''), 8000);
}

onConnectivity((reconnecting) => {
  setAlert(els.banner, reconnecting ? 'Reconnecting to dps…' : '');
  document.body.classList.toggle('reconnecting', reconnecting);
});

function setBusy(busy) {
  els.main.setAttribute('aria-busy', busy ? 'true' : 'false');
  document.body.classList.toggle('busy', Boolean(busy));
}

// ---- sign-in ----

function leavePage() {
  if (!current) return;
  current.controller.abort();
  if (current.cleanup) {
    try {
      current.cleanup();
    } catch (e) {
      console.warn('page cleanup failed', e);
    }
  }
  current = null;
}

function showSignIn({ reason = '', status = '' } = {}) {
  generation += 1;
  leavePage();
  clear(els.pageRoot);
  els.nav.hidden = true;
  els.session.hidden = true;
  els.signinView.hidden = false;
  setAlert(els.signinReason, reason);
  setAlert(els.signinStatus, status);
  setBusy(false);
  document.title = 'Sign in · dps console';
  els.signinTitle.focus();
}

function describeToken(token) {
  try {
    const claims = decodeJwtClaims(token);
    const parts = [];
    if (claims.sub) parts.push(`Signed in as ${claims.sub}`);
    else parts.push('Signed in');
    if (typeof claims.exp === 'number') parts.push(`until ${formatDate(new Date(claims.exp * 1000))}`);
    return parts.join(' ');
  } catch {
    return 'Signed in';
  }
}

function showApp() {
  els.signinView.hidden = true;
  setAlert(els.signinReason, '');
  setAlert(els.signinStatus, '');
  els.nav.hidden = false;
  els.session.hidden = false;
  clear(els.who).appendChild(document.createTextNode(describeToken(getToken())));
}

onUnauthorized((reason) => {
  showSignIn({ reason: reason || 'Your token was refused; sign in again.' });
});

// A pasted token is tried once (the hubs list is small) before the console opens, so a wrong
// one is answered here with the API's reason rather than by the first page.
async function signInWithToken(token) {
  setToken(token);
  try {
    await api.list('/api/v1/hubs');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return; // onUnauthorized showed the reason
    clearToken();
    setAlert(els.signinReason, e.message);
    return;
  }
  els.signinToken.value = '';
  route();
}

els.signinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = els.signinToken.value.trim().replace(/^Bearer\s+/i, '');
  if (!token) {
    setAlert(els.signinReason, 'Paste an access token first.');
    els.signinToken.focus();
    return;
  }
  setAlert(els.signinStatus, '');
  signInWithToken(token);
});

els.signOut.addEventListener('click', () => {
  clearToken();
  showSignIn({ status: 'Signed out.' });
});

function renderOidcButton() {
  clear(els.signinOidc);
  if (configProblem) {
    // Without its settings the console cannot know whether an authority is configured: say so
    // rather than silently offering only the token field.
    els.signinOidc.append(h('p', { class: 'error', role: 'alert' }, configProblem));
    return;
  }
  if (!config.oidc || !config.oidc.authority || !config.oidc.clientId) return;
  const host = authorityHost(config.oidc.authority);
  const button = h(
    'button',
    {
      type: 'button',
      class: 'button primary',
      onClick: async () => {
        button.disabled = true;
        setAlert(els.signinReason, '');
        try {
          await beginSignIn(config.oidc, ROUTES[location.hash] ? location.hash : DEFAULT_ROUTE);
        } catch (e) {
          setAlert(els.signinReason, e.message);
          button.disabled = false;
        }
      },
    },
    `Sign in with ${host}`,
  );
  els.signinOidc.append(button, h('p', { class: 'or' }, 'or paste a token:'));
}

// ---- router ----

function markNav(hash) {
  for (const link of els.nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === hash) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function focusHeading(container) {
  // Only after a navigation the user made (focus on the nav or nowhere): never steal focus
  // from a field the user is already typing in.
  const active = document.activeElement;
  if (active && active !== document.body && !els.nav.contains(active) && active !== els.main) return;
  const heading = container.querySelector('h1');
  if (!heading) return;
  if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
}

async function route() {
  if (!getToken()) {
    showSignIn();
    return;
  }
  const entry = ROUTES[location.hash];
  if (!entry) {
    location.replace(DEFAULT_ROUTE); // fires hashchange, which routes again
    return;
  }
  generation += 1;
  const mine = generation;
  leavePage();
  showApp();
  markNav(location.hash);
  document.title = `${entry.title} · dps console`;
  // A fresh container per navigation: a page still finishing a request after the user left
  // writes into a detached element, never over the next page.
  const container = h('div', { class: 'page', dataset: { page: entry.module } }, h('p', { class: 'loading' }, 'Loading…'));
  clear(els.pageRoot).appendChild(container);
  const controller = new AbortController();
  current = { controller, cleanup: null };
  let page;
  try {
    page = await import(`./pages/${entry.module}.js`);
    if (typeof page.render !== 'function') throw new Error('it has no render function');
  } catch (e) {
    if (mine !== generation) return;
    console.warn(`page ${entry.module} failed to load`, e);
    clear(container).append(h('h1', { tabindex: '-1' }, entry.title), errorText(`This page could not be loaded: ${e.message}`));
    focusHeading(container);
    return;
  }
  if (mine !== generation) return;
  clear(container);
  // The page's api is bound to its signal: leaving the page cancels what it still waits for,
  // retries while dps is down included.
  const ctx = { api: api.withSignal(controller.signal), setBusy, signal: controller.signal };
  try {
    const cleanup = await page.render(container, ctx);
    if (mine === generation && typeof cleanup === 'function') current.cleanup = cleanup;
    else if (mine !== generation && typeof cleanup === 'function') cleanup();
  } catch (e) {
    if (mine !== generation) return;
    if (e instanceof ApiError && e.status === 401) return; // back at sign-in already
    if (e && e.name === 'AbortError') return;
    // Pages show their own load errors; this is for what they did not expect.
    container.append(errorText(e.message || String(e)));
  } finally {
    if (mine === generation) setBusy(false);
  }
  if (mine === generation) focusHeading(container);
}

window.addEventListener('hashchange', () => route());

$('skip-link').addEventListener('click', (event) => {
  // The router owns the hash: skip to <main> by focus, not by #main.
  event.preventDefault();
  const heading = els.main.querySelector('h1:not([hidden])');
  (heading || els.main).focus();
});

// A file dropped outside the drop zones would make the browser leave the console to show it,
// losing what the forms hold: it goes to the page's drop zone when there is exactly one on
// screen, otherwise it is refused with a hint.
document.addEventListener('dragover', (event) => {
  if (event.dataTransfer && [...event.dataTransfer.types].includes('Files')) event.preventDefault();
});
document.addEventListener('drop', (event) => {
  if (!event.dataTransfer || !event.dataTransfer.files || event.dataTransfer.files.length === 0) return;
  event.preventDefault();
  const zones = [...els.pageRoot.querySelectorAll('.drop-zone')].filter((z) => z.offsetParent !== null && z.dpsReadFiles);
  if (zones.length === 1) zones[0].dpsReadFiles(event.dataTransfer.files);
  else if (zones.length > 1) notify('Drop the file on one of the dashed areas: this page takes several files.');
});

// ---- start ----

// An answer from the authority that no sign-in of this tab asked for (a link anyone can send):
// its text is not shown, the tab stays signed in as it was. This sentence is fixed.
const UNSOLICITED = 'A sign-in answer this tab did not ask for was ignored.';

async function start() {
  // First, before any await: the code leaves the address bar whatever happens next.
  const back = takeRedirectBack();
  try {
    config = (await consoleConfig()) || {};
  } catch (e) {
    config = {};
    configProblem = `The console's settings (config.json) could not be read: ${e.message}. Sign-in with OpenID Connect is not offered; reload the page to try again, or paste a token.`;
  }
  renderOidcButton();
  if (back && back.matched) {
    try {
      const { token, returnHash } = await completeSignIn(back);
      setToken(token);
      if (returnHash && ROUTES[returnHash] && location.hash !== returnHash) {
        history.replaceState(null, '', `${location.pathname}${returnHash}`);
      }
    } catch (e) {
      clearToken();
      showSignIn({ reason: e.message });
      return;
    }
  }
  if (back && !back.matched) {
    if (!getToken()) {
      showSignIn({ reason: UNSOLICITED });
      return;
    }
    notify(UNSOLICITED);
  }
  route();
}

start();
