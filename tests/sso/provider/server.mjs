// A real OpenID provider (the certified `oidc-provider` package) for the single sign-on tests.
//
// Run: node server.mjs SETTINGS.json. The settings file names the loopback port, the clients, the
// accounts (login, password, claims) and, for the refusal tests, a clock offset and per-account
// tampering of the ID token. The server prints "ready ISSUER" once it listens.
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const settings = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${settings.port}`;
const accounts = settings.accounts ?? {};

if (settings.clockOffset) {
  // A provider whose clock is off by this many seconds: its tokens are dated by that clock.
  const realNow = Date.now;
  Date.now = () => realNow() + settings.clockOffset * 1000;
}

const own = generateKeyPairSync('rsa', { modulusLength: 2048 });
const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...own.privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: settings.clients.map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...client,
  })),
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account.claims }; } };
  },
  // First-party clients: no consent screen, every scope asked for is granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
    await grant.save();
    return grant;
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-cookie-key-not-secret'] },
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    Grant: 3600,
    IdToken: settings.idTokenTtl ?? 300,
    Interaction: 3600,
    Session: 3600,
  },
});

function encode(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

// Tampering for the refusal tests: the ID token of an account marked so is rewritten and signed
// again, with the provider's own key (a token meant for another audience or issuer) or a foreign one.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || !ctx.body?.id_token) return;
  const [header, payload] = ctx.body.id_token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const tamper = accounts[claims.sub]?.tamper;
  if (!tamper) return;
  const changed = { ...claims };
  if (tamper.aud) changed.aud = tamper.aud;
  if (tamper.iss) changed.iss = tamper.iss;
  const input = `${header}.${encode(changed)}`;
  const key = tamper.key === 'foreign' ? foreign.privateKey : own.privateKey;
  ctx.body = { ...ctx.body, id_token: `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}` };
});

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, error) {
  const problem = error ? `<p role="alert">${escape(error)}</p>` : '';
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><h1>Sign in to the test identity provider</h1>${problem}
<form method="post" action="/interaction/${escape(uid)}">
<label for="login">E-mail</label> <input id="login" name="login" type="text" autofocus>
<label for="password">Password</label> <input id="password" name="password" type="password">
<button type="submit">Sign in</button></form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') {
    res.writeHead(501).end(`prompt ${details.prompt.name} is not handled by the test provider`);
    return;
  }
  if (req.method === 'POST') {
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    const account = accounts[login];
    if (account && account.password === form.get('password')) {
      await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(uid, 'Wrong e-mail or password.'));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(uid, ''));
}

const handle = provider.callback();
const server = createServer((req, res) => {
  const match = /^\/interaction\/([^/?]+)/.exec(req.url ?? '');
  if (!match) {
    handle(req, res);
    return;
  }
  interaction(req, res, match[1]).catch((error) => {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`interaction failed: ${error.message}`);
  });
});

server.listen(settings.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
