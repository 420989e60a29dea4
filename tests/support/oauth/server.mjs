// A real OAuth 2.0 / OpenID Connect authorization server (oidc-provider) for dps's tests: it
// issues access tokens by the client credentials grant (RFC 6749 §4.4) the way an identity
// provider in front of a plgd hub does, so dps's token client is tested against the protocol as
// a real server speaks it, not as we imagine it. With `interactiveClients` it also signs people
// in for browser apps (dps's console): authorization code + PKCE (RFC 7636) for public clients,
// a login page of its own, JWT access tokens. See README.md beside this file.
//
//   node server.mjs --config <file.json> | --config-json '<json>' [--port N]
//
// Prints `oauth: listening on http(s)://127.0.0.1:<port>` once it accepts requests. Exits when its
// standard input closes (so it never outlives the test that started it) or on SIGTERM/SIGINT.
// Standard input also takes one command per line (answered by one `oauth: ...` line):
//   fault none | fault 500 | fault garbage | fault hang | fault delay <ms>
//     what the token endpoint does from now on; `delay` still lets the provider answer, late.
//   count    -> `oauth: count token=<n> discovery=<n> jwks=<n>` (requests seen so far)
//   last     -> `oauth: last <json>`: the last token request's client authentication style
//               ("basic" or "post") and form parameter names, never their values.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createInterface } from 'node:readline';

import Provider, { errors } from 'oidc-provider';

const kUsage = 'usage: node server.mjs (--config <file.json> | --config-json <json>) [--port N]';

function fail(message) {
  process.stderr.write(`oauth: ${message}\n`);
  process.exit(2);
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (err) {
    return fail(`${what}: ${err.message}`);
  }
}

function parseArgs(argv) {
  let config;
  let port;
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) fail(`${flag} needs a value; ${kUsage}`);
    if (flag === '--config') config = parseJson(readFileSync(value, 'utf8'), value);
    else if (flag === '--config-json') config = parseJson(value, '--config-json');
    else if (flag === '--port') port = Number(value);
    else fail(`unknown argument ${flag}; ${kUsage}`);
  }
  if (config === undefined) fail(kUsage);
  if (port !== undefined) config.port = port;
  return config;
}

// Checks the configuration and fills in defaults; every mistake is named by its key.
function validate(config) {
  const out = {
    port: config.port ?? 0,
    issuer: config.issuer,
    audiences: config.audiences ?? [],
    defaultAudience: config.defaultAudience,
    claimParams: config.claimParams ?? [],
    accessTokenTtl: config.accessTokenTtl ?? 600,
    signingAlg: config.signingAlg ?? 'RS256',
    tls: config.tls,
    clients: config.clients ?? [],
    interactiveClients: config.interactiveClients ?? [],
  };
  if (out.tls !== undefined
      && (typeof out.tls.cert !== 'string' || typeof out.tls.key !== 'string')) {
    fail('tls: {cert, key} as PEM text');
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) fail('port: 0..65535');
  if (!Array.isArray(out.clients)) fail('clients: a list');
  if (!Array.isArray(out.interactiveClients)) fail('interactiveClients: a list');
  if (out.clients.length + out.interactiveClients.length === 0) {
    fail('clients: at least one (or one of interactiveClients)');
  }
  out.clients.forEach((c, i) => {
    if (typeof c.clientId !== 'string' || c.clientId === '') fail(`clients[${i}].clientId: empty`);
    if (typeof c.clientSecret !== 'string' || c.clientSecret === '') {
      fail(`clients[${i}].clientSecret: empty`);
    }
    if (c.basicAuth !== undefined && typeof c.basicAuth !== 'boolean') {
      fail(`clients[${i}].basicAuth: true or false`);
    }
  });
  // oidc-provider takes resource indicators (RFC 8707), which must be absolute URIs.
  for (const a of [...out.audiences, ...(out.defaultAudience ? [out.defaultAudience] : [])]) {
    try {
      new URL(a); // eslint-disable-line no-new
    } catch {
      fail(`audiences: ${JSON.stringify(a)} is not an absolute URI`);
    }
  }
  if (out.defaultAudience && !out.audiences.includes(out.defaultAudience)) {
    fail('defaultAudience: must be one of audiences');
  }
  if (!Array.isArray(out.claimParams) || out.claimParams.some((p) => typeof p !== 'string')) {
    fail('claimParams: a list of parameter names');
  }
  if (!Number.isInteger(out.accessTokenTtl) || out.accessTokenTtl < 1) {
    fail('accessTokenTtl: seconds, at least 1');
  }
  if (!['RS256', 'ES256'].includes(out.signingAlg)) fail('signingAlg: RS256 or ES256');
  out.interactiveClients = out.interactiveClients.map((c, i) => validateInteractive(c, i, out));
  const ids = [...out.clients, ...out.interactiveClients].map((c) => c.clientId);
  if (new Set(ids).size !== ids.length) fail('clientId: each client needs an id of its own');
  return out;
}

// One entry of interactiveClients: a public browser client (no secret) that signs people in by
// the authorization code grant with PKCE. Accounts are per client: `login` is what the person
// types on the login page; `sub` and every other key but `password` become claims of the tokens.
function validateInteractive(c, i, out) {
  const at = `interactiveClients[${i}]`;
  if (typeof c !== 'object' || c === null) fail(`${at}: an object`);
  if (typeof c.clientId !== 'string' || c.clientId === '') fail(`${at}.clientId: empty`);
  if (!Array.isArray(c.redirectUris) || c.redirectUris.length === 0) {
    fail(`${at}.redirectUris: at least one`);
  }
  const redirectUris = c.redirectUris.map((uri) => {
    try {
      return new URL(uri).href;
    } catch {
      return fail(`${at}.redirectUris: ${JSON.stringify(uri)} is not an absolute URL`);
    }
  });
  if (c.anyLoopbackPort !== undefined && typeof c.anyLoopbackPort !== 'boolean') {
    fail(`${at}.anyLoopbackPort: true or false`);
  }
  // JWT access tokens need a resource (RFC 8707): the client's audience, else defaultAudience.
  const audience = c.audience ?? out.defaultAudience;
  if (typeof audience !== 'string' || !out.audiences.includes(audience)) {
    fail(`${at}.audience: one of audiences (or set defaultAudience)`);
  }
  const scopes = c.scopes ?? [];
  if (!Array.isArray(scopes) || scopes.some((x) => typeof x !== 'string' || /\s/.test(x))) {
    fail(`${at}.scopes: a list of scope names`);
  }
  if (typeof c.accounts !== 'object' || c.accounts === null
      || Object.keys(c.accounts).length === 0) {
    fail(`${at}.accounts: at least one, {"<login>": {"password", "sub", ...claims}}`);
  }
  const accounts = new Map();
  const bySub = new Map();
  for (const [login, account] of Object.entries(c.accounts)) {
    const where = `${at}.accounts.${login}`;
    const { password, ...claims } = account ?? {};
    if (typeof password !== 'string' || password === '') fail(`${where}.password: empty`);
    if (typeof claims.sub !== 'string' || claims.sub === '') fail(`${where}.sub: empty`);
    if (bySub.has(claims.sub)) fail(`${where}.sub: another account has ${claims.sub}`);
    accounts.set(login, { password, claims });
    bySub.set(claims.sub, claims);
  }
  return {
    clientId: c.clientId,
    redirectUris,
    anyLoopbackPort: c.anyLoopbackPort ?? false,
    audience,
    scopes: scopes.filter((x) => x !== 'openid'),
    accounts,
    bySub,
  };
}

function signingJwk(alg) {
  const { privateKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg };
}

const kLoopbacks = new Set(['127.0.0.1', '[::1]', 'localhost']);

// The origins a browser client's token requests may come from (CORS): those of its redirect
// URIs, and with anyLoopbackPort any port of a loopback one.
function originAllowed(client, origin) {
  let url;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return client.redirectUris.some((uri) => {
    const allowed = new URL(uri);
    if (allowed.origin === url.origin) return true;
    return client.anyLoopbackPort && kLoopbacks.has(url.hostname)
      && allowed.protocol === url.protocol && allowed.hostname === url.hostname;
  });
}

function makeProvider(issuer, cfg) {
  const interactive = new Map(cfg.interactiveClients.map((c) => [c.clientId, c]));
  const scopes = [...new Set(cfg.clients.flatMap((c) => c.scopes ?? []))];
  const interactiveScopes = cfg.interactiveClients.flatMap((c) => c.scopes);
  const provider = new Provider(issuer, {
    clients: [
      ...cfg.clients.map((c) => ({
        client_id: c.clientId,
        client_secret: c.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        // oidc-provider takes the secret either way; tokenParamsMiddleware refuses Basic for a
        // client with basicAuth: false.
        token_endpoint_auth_method: 'client_secret_basic',
        // Scopes outside this list are refused with invalid_scope.
        ...(c.scopes?.length ? { scope: c.scopes.join(' ') } : {}),
      })),
      // Browser apps: public (no secret, so PKCE is what binds the code to the app that asked
      // for it), code flow only, no refresh tokens.
      ...cfg.interactiveClients.map((c) => ({
        client_id: c.clientId,
        application_type: 'web',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: c.redirectUris,
        token_endpoint_auth_method: 'none',
        scope: ['openid', ...c.scopes].join(' '),
      })),
    ],
    scopes: [...new Set([...scopes, ...interactiveScopes])],
    jwks: { keys: [signingJwk(cfg.signingAlg)] },
    // Set so that oidc-provider does not print notices about its defaults on stdout, which
    // carries this server's own protocol (see the top of this file).
    cookies: { keys: [randomUUID()] },
    ttl: {
      ClientCredentials: cfg.accessTokenTtl,
      AccessToken: cfg.accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: cfg.accessTokenTtl,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    pkce: { methods: ['S256'], required: () => true },
    // The login page is this server's own (interactionMiddleware).
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // A browser client's token endpoint answers carry CORS headers for its own origins only.
    clientBasedCORS: (ctx, origin, client) => {
      const c = interactive.get(client.clientId);
      return c !== undefined && originAllowed(c, origin);
    },
    findAccount: (ctx, sub, token) => {
      const clientId = token?.clientId ?? ctx.oidc?.client?.clientId;
      const claims = interactive.get(clientId)?.bySub.get(sub);
      if (claims === undefined) return undefined;
      return { accountId: sub, claims: () => ({ ...claims }) };
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // `audience` is this server's name for an RFC 8707 resource indicator. A browser
        // client's tokens are always for its own audience.
        defaultResource: (ctx, client) => interactive.get(client?.clientId)?.audience
          ?? ctx.state.tokenParams?.audience ?? cfg.defaultAudience,
        // The code's resource (its audience) also at the token endpoint, where the console
        // sends none; without this, scope `openid` would make the token one for userinfo.
        useGrantedResource: (ctx) => interactive.has(ctx.oidc.client?.clientId),
        getResourceServerInfo: (ctx, resource, client) => {
          const browser = interactive.get(client?.clientId);
          if (browser ? resource !== browser.audience : !cfg.audiences.includes(resource)) {
            throw new errors.InvalidTarget(`unknown audience ${resource}`);
          }
          return {
            scope: (browser ? browser.scopes : scopes).join(' '),
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: cfg.accessTokenTtl,
            jwt: { sign: { alg: cfg.signingAlg } },
          };
        },
      },
    },
    formats: {
      customizers: {
        // Copies each configured claim parameter into a client credentials token. A customizer
        // rather than extraTokenClaims, whose claims lose to the standard ones: a hub whose
        // ownerClaim is `sub` needs the requested owner there, not the client id. Never into a
        // browser client's token: its owner is the person who signed in, not a form field.
        // Those get their account's claims instead.
        jwt(ctx, token, jwt) {
          if (token.kind === 'ClientCredentials') {
            for (const name of cfg.claimParams) {
              const value = ctx?.state.tokenParams?.[name];
              if (typeof value === 'string' && value !== '') jwt.payload[name] = value;
            }
          }
          const claims = interactive.get(token.clientId)?.bySub.get(token.accountId) ?? {};
          for (const [name, value] of Object.entries(claims)) {
            if (!(name in jwt.payload)) jwt.payload[name] = value; // never iss, aud, exp...
          }
        },
      },
    },
  });
  // RFC 8252 §7.3's rule for native apps, for a browser client whose port is chosen when it
  // starts (a test's dps): a loopback redirect URI matches whatever its port. Scheme, host and
  // path must still match, and PKCE binds the code to the page that asked for it.
  const { redirectUriAllowed } = provider.Client.prototype;
  provider.Client.prototype.redirectUriAllowed = function allowed(value) {
    if (redirectUriAllowed.call(this, value)) return true;
    if (!interactive.get(this.clientId)?.anyLoopbackPort) return false;
    let url;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    if (!kLoopbacks.has(url.hostname)) return false;
    url.port = '';
    return this.redirectUris.some((uri) => {
      const registered = new URL(uri);
      registered.port = '';
      return registered.href === url.href;
    });
  };
  return provider;
}

const kPageStyle = 'body{font-family:sans-serif;max-width:24rem;margin:3rem auto}'
  + 'label,input,button{display:block;margin:.4rem 0}';

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, clientId, error) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Test authority: sign in</title><link rel="icon" href="data:,"><style>${kPageStyle}</style></head><body>
<h1>Sign in to the test authority</h1>
<p>for ${escapeHtml(clientId)}</p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="login">Login</label><input id="login" name="login" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form></body></html>`;
}

// The interaction pages (oidc-provider leaves them to the deployment): a login form checked
// against the client's accounts, and consent given at once, as for a first-party app.
function interactionMiddleware(provider, cfg) {
  const interactive = new Map(cfg.interactiveClients.map((c) => [c.clientId, c]));
  return async (ctx, next) => {
    const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(ctx.path);
    if (!match) return next();
    ctx.set('Cache-Control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const clientId = details.params.client_id;
    const client = interactive.get(clientId);
    if (!client || details.uid !== match[1]) {
      ctx.status = 400;
      ctx.body = 'unknown interaction';
      return undefined;
    }
    const { prompt } = details;
    if (prompt.name === 'login' && ctx.method === 'GET' && !match[2]) {
      ctx.type = 'html';
      ctx.body = loginPage(details.uid, clientId);
      return undefined;
    }
    if (prompt.name === 'login' && ctx.method === 'POST' && match[2]) {
      const form = new URLSearchParams((await readBody(ctx.req)) ?? '');
      const account = client.accounts.get(form.get('login') ?? '');
      if (!account || account.password !== form.get('password')) {
        ctx.type = 'html';
        ctx.body = loginPage(details.uid, clientId, 'Wrong login or password.');
        return undefined;
      }
      const to = await provider.interactionResult(ctx.req, ctx.res, {
        login: { accountId: account.claims.sub },
      }, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(to);
      return undefined;
    }
    if (prompt.name === 'consent' && ctx.method === 'GET' && !match[2]) {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId });
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      for (const [resource, list] of Object.entries(missingResourceScopes ?? {})) {
        grant.addResourceScope(resource, list.join(' '));
      }
      const grantId = await grant.save();
      const to = await provider.interactionResult(ctx.req, ctx.res, {
        consent: details.grantId ? {} : { grantId },
      }, { mergeWithLastSubmission: true });
      ctx.status = 303;
      ctx.redirect(to);
      return undefined;
    }
    ctx.status = 405;
    ctx.body = 'not here';
    return undefined;
  };
}

const kBodyLimit = 56 * 1024; // oidc-provider's own limit for request bodies

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > kBodyLimit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// oidc-provider's token endpoint keeps only the parameters its grant declares (for
// client_credentials: grant_type, scope, resource), and its extraParams option covers the
// authorization endpoints only. plgd's DPS sends `audience` (Auth0's name for the resource) and
// one parameter per claim the hub requires, so this pre-middleware reads the form itself, keeps
// those parameters in ctx.state.tokenParams for the helpers in makeProvider(), and hands the
// unchanged body on: oidc-provider then parses it as usual.
// It also refuses HTTP Basic client authentication for clients configured with basicAuth: false,
// as servers that accept only client_secret_post do (401 invalid_client, the answer on which
// golang.org/x/oauth2, and so plgd's DPS, retries with the secret in the form).
function tokenParamsMiddleware(cfg) {
  const names = ['audience', ...cfg.claimParams];
  const noBasic = new Set(cfg.clients.filter((c) => c.basicAuth === false).map((c) => c.clientId));
  return async (ctx, next) => {
    if (ctx.path !== '/token' || ctx.method !== 'POST') return next();
    const [scheme, credentials] = ctx.get('authorization').split(' ');
    if (scheme?.toLowerCase() === 'basic' && noBasic.size > 0) {
      const user = Buffer.from(credentials ?? '', 'base64').toString('utf8').split(':')[0];
      let id;
      try {
        id = decodeURIComponent(user.replace(/\+/g, '%20'));
      } catch {
        id = undefined; // badly encoded: oidc-provider answers it (400 invalid_request)
      }
      if (noBasic.has(id)) {
        ctx.status = 401;
        ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
        return undefined;
      }
    }
    if (!ctx.is('application/x-www-form-urlencoded')) return next();
    const body = await readBody(ctx.req);
    if (body === undefined) {
      ctx.status = 413;
      return undefined;
    }
    ctx.request.body = body;
    const form = new URLSearchParams(body);
    ctx.state.formNames = [...new Set(form.keys())];
    ctx.state.tokenParams = {};
    for (const name of names) {
      const values = form.getAll(name);
      if (values.length > 1) {
        ctx.status = 400;
        ctx.body = {
          error: 'invalid_request',
          error_description: `'${name}' parameter must not be provided twice`,
        };
        return undefined;
      }
      if (values.length === 1) ctx.state.tokenParams[name] = values[0];
    }
    return next();
  };
}

// Test-only faults for the token endpoint, and request counts. A middleware in front of the
// provider's routes: in mode `none` every request goes on to oidc-provider untouched.
function faultMiddleware(state) {
  return async (ctx, next) => {
    if (ctx.path === '/.well-known/openid-configuration') state.discovery += 1;
    if (ctx.path === '/jwks') state.jwks += 1;
    if (ctx.path !== '/token' || ctx.method !== 'POST') return next();
    state.token += 1;
    const { fault } = state;
    if (fault.kind === '500') {
      ctx.status = 500;
      ctx.body = { error: 'server_error', error_description: 'injected fault' };
      return undefined;
    }
    if (fault.kind === 'garbage') {
      ctx.status = 200;
      ctx.type = 'application/json';
      ctx.body = '{"access_token": not json';
      return undefined;
    }
    if (fault.kind === 'hang') {
      await new Promise(() => {}); // never answers; the client's deadline must end it
    }
    if (fault.kind === 'delay') await new Promise((r) => { setTimeout(r, fault.ms); });
    await next();
    // What the last token request looked like, for `last`: names only, never values.
    state.last = {
      status: ctx.status,
      auth: ctx.get('authorization').toLowerCase().startsWith('basic ') ? 'basic' : 'post',
      params: ctx.state.formNames ?? [],
      error: ctx.status >= 400 ? ctx.body?.error : undefined,
    };
    return undefined;
  };
}

function control(state, server) {
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const [command, arg, ms] = line.trim().split(/\s+/);
    if (command === 'fault') {
      if (['none', '500', 'garbage', 'hang'].includes(arg)) {
        state.fault = { kind: arg };
      } else if (arg === 'delay' && Number.isInteger(Number(ms)) && Number(ms) >= 0) {
        state.fault = { kind: 'delay', ms: Number(ms) };
      } else {
        process.stdout.write(`oauth: error unknown fault ${line}\n`);
        return;
      }
      process.stdout.write(`oauth: ok ${line.trim()}\n`);
    } else if (command === 'count') {
      process.stdout.write(
        `oauth: count token=${state.token} discovery=${state.discovery} jwks=${state.jwks}\n`,
      );
    } else if (command === 'last') {
      process.stdout.write(`oauth: last ${JSON.stringify(state.last ?? {})}\n`);
    } else if (command !== undefined && command !== '') {
      process.stdout.write(`oauth: error unknown command ${line}\n`);
    }
  });
  const stop = () => {
    server.closeAllConnections?.();
    process.exit(0);
  };
  input.on('close', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const cfg = validate(parseArgs(process.argv.slice(2)));
const state = {
  fault: { kind: 'none' }, token: 0, discovery: 0, jwks: 0, last: undefined,
};
let handler = (req, res) => { res.statusCode = 503; res.end(); };
// With `tls`, HTTPS with that certificate (an authority behind a private CA, as plgd's chart
// deploys one); otherwise plain HTTP on loopback.
const server = cfg.tls
  ? createTlsServer({ cert: cfg.tls.cert, key: cfg.tls.key }, (req, res) => handler(req, res))
  : createServer((req, res) => handler(req, res));
server.on('error', (err) => fail(`listen: ${err.message}`));
server.listen(cfg.port, '127.0.0.1', () => {
  const base = `${cfg.tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
  const provider = makeProvider(cfg.issuer ?? base, cfg);
  provider.use(faultMiddleware(state));
  provider.use(tokenParamsMiddleware(cfg));
  provider.use(interactionMiddleware(provider, cfg));
  provider.on('server_error', (ctx, err) => process.stderr.write(`oauth: ${err.stack}\n`));
  handler = provider.callback();
  control(state, server);
  process.stdout.write(`oauth: listening on ${base}\n`);
});
