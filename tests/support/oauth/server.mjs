// A real OAuth 2.0 / OpenID Connect authorization server (oidc-provider) for dps's tests: it
// issues access tokens by the client credentials grant (RFC 6749 §4.4) the way an identity
// provider in front of a plgd hub does, so dps's token client is tested against the protocol as
// a real server speaks it, not as we imagine it. See README.md beside this file.
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
    clients: config.clients,
    audiences: config.audiences ?? [],
    defaultAudience: config.defaultAudience,
    claimParams: config.claimParams ?? [],
    accessTokenTtl: config.accessTokenTtl ?? 600,
    signingAlg: config.signingAlg ?? 'RS256',
    tls: config.tls,
  };
  if (out.tls !== undefined
      && (typeof out.tls.cert !== 'string' || typeof out.tls.key !== 'string')) {
    fail('tls: {cert, key} as PEM text');
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) fail('port: 0..65535');
  if (!Array.isArray(out.clients) || out.clients.length === 0) fail('clients: at least one');
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
  return out;
}

function signingJwk(alg) {
  const { privateKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg };
}

function makeProvider(issuer, cfg) {
  const scopes = [...new Set(cfg.clients.flatMap((c) => c.scopes ?? []))];
  const provider = new Provider(issuer, {
    clients: cfg.clients.map((c) => ({
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
    scopes,
    jwks: { keys: [signingJwk(cfg.signingAlg)] },
    // Set so that oidc-provider does not print notices about its defaults on stdout, which
    // carries this server's own protocol (see the top of this file).
    cookies: { keys: [randomUUID()] },
    ttl: { ClientCredentials: cfg.accessTokenTtl },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // `audience` is this server's name for an RFC 8707 resource indicator.
        defaultResource: (ctx) => ctx.state.tokenParams?.audience ?? cfg.defaultAudience,
        getResourceServerInfo: (ctx, resource) => {
          if (!cfg.audiences.includes(resource)) {
            throw new errors.InvalidTarget(`unknown audience ${resource}`);
          }
          return {
            scope: scopes.join(' '),
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
        // Copies each configured claim parameter into the token. A customizer rather than
        // extraTokenClaims, whose claims lose to the standard ones: a hub whose ownerClaim is
        // `sub` needs the requested owner there, not the client id.
        jwt(ctx, token, jwt) {
          for (const name of cfg.claimParams) {
            const value = ctx?.state.tokenParams?.[name];
            if (typeof value === 'string' && value !== '') jwt.payload[name] = value;
          }
        },
      },
    },
  });
  return provider;
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
  provider.on('server_error', (ctx, err) => process.stderr.write(`oauth: ${err.stack}\n`));
  handler = provider.callback();
  control(state, server);
  process.stdout.write(`oauth: listening on ${base}\n`);
});
