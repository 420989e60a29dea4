// The operator's flow through dps's web console in headless Chromium, as a person would click it:
// sign in (a wrong token first), a hub, an enrollment group from PEM files with the proof of
// possession done with openssl, a device provisioned and its record shown, the device revoked
// and refused, Explain on a refused and an admitted certificate, bad files refused in the
// browser, and hostile text (the hub's name) shown as text. Exit 0 when every step passed; 1 with the reason
// otherwise. Any console error, uncaught exception, CSP violation, failed request or HTTP status
// >= 400 that the step does not expect fails the run.
//
// tests/integration/console_browser_test.cpp runs it against its own dps. By hand, against a dps
// you started (build-dev/tools/dps/dps --config cfg.yaml; dps-device demo-pki --out pki):
//
//   DPS_CONSOLE_URL=http://127.0.0.1:PORT/console/      the console (https works too: TLS errors ignored)
//   DPS_ADMIN_TOKEN="$(cat data/admin.token)"          a management API token of the owner
//   DPS_CHAIN_PEM=pki/chain.pem                         the chain the group enrolls (uploaded)
//   DPS_LEAD_CERT_PEM=pki/intermediate.pem              the lead certificate ...
//   DPS_LEAD_KEY_PEM=pki/intermediate.key               ... and its key (signs the proof)
//   DPS_DEVICE_CERT_PEM=pki/device.pem                  the provisioned device's certificate
//   DPS_DEVICE_PROVISION="build-dev/tools/dps-device/dps-device provision --server 127.0.0.1:COAP \
//       --cert pki/device.pem --key pki/device.key --ca data/ca.pem"   (a shell command line)
//   DPS_SECOND_DEVICE_CERT=second.pem                   another device certificate the group admits
//   DPS_OTHER_OWNER_TOKEN=...                           optional: a token of another owner, who
//                                                       must not see the group
//   DPS_SCREENSHOT_DIR=/tmp/shots                       console-<page>.png are written there
//   CHROMIUM=/usr/bin/chromium                          optional
//   node tests/browser/console_flow.mjs
//
// The dps must be fresh for the owner (no group with the same chain): the group is created here.

import puppeteer from 'puppeteer-core';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const started = Date.now();
const WAIT_MS = 15000;

function need(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`console_flow: environment variable ${name} is required (see the comment at the top of ${path.basename(import.meta.url)})`);
    process.exit(1);
  }
  return value;
}

const env = {
  url: need('DPS_CONSOLE_URL'),
  token: need('DPS_ADMIN_TOKEN').trim(),
  chain: need('DPS_CHAIN_PEM'),
  leadCert: need('DPS_LEAD_CERT_PEM'),
  leadKey: need('DPS_LEAD_KEY_PEM'),
  deviceCert: need('DPS_DEVICE_CERT_PEM'),
  provision: need('DPS_DEVICE_PROVISION'),
  secondCert: need('DPS_SECOND_DEVICE_CERT'),
  shots: need('DPS_SCREENSHOT_DIR'),
  otherToken: (process.env.DPS_OTHER_OWNER_TOKEN || '').trim(),
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
};
fs.mkdirSync(env.shots, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'console-flow-'));

// ---- facts about the inputs, from openssl (independent of the console's own parser) ----

function openssl(...args) {
  return execFileSync('openssl', args, { encoding: 'utf8' });
}
function subjectCN(file) {
  const subject = openssl('x509', '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253');
  const m = /CN=((?:\\.|[^,\n])*)/.exec(subject);
  if (!m) throw new Error(`${file}: no subject CN`);
  return m[1].replace(/\\(.)/g, '$1');
}
function serialHex(file) {
  const out = openssl('x509', '-in', file, '-noout', '-serial');
  return out.trim().replace(/^serial=/, '').toLowerCase().replace(/^0+(?=.)/, '');
}
const leadCN = subjectCN(env.leadCert);
const deviceCN = subjectCN(env.deviceCert);
const deviceSerial = serialHex(env.deviceCert);

// ---- what the browser does that no step expects ----

const problems = [];
let allowed = []; // [{status, url}] the current step expects
let expectDialog = null; // 'confirm' when a step clicks Delete
const isAllowed = (status, url) => allowed.some((a) => a.status === status && url.includes(a.url));

function watch(page, label) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const where = (msg.location() && msg.location().url) || '';
    const status = /status of (\d{3})/.exec(text);
    if (status && isAllowed(Number(status[1]), where)) return;
    problems.push(`${label} console error: ${text}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`${label} uncaught exception: ${err.message}`));
  page.on('requestfailed', (req) => {
    const why = req.failure() && req.failure().errorText;
    // The console cancels the requests of a page it leaves (its AbortSignal): not a failure.
    if (why === 'net::ERR_ABORTED' && /^\/(api\/|metrics$)/.test(new URL(req.url()).pathname)) return;
    problems.push(`${label} request failed: ${req.method()} ${req.url()}: ${why}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !isAllowed(res.status(), res.url())) {
      problems.push(`${label} HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
    }
  });
  page.on('dialog', async (dialog) => {
    if (dialog.type() === 'confirm' && expectDialog === 'confirm') {
      expectDialog = null;
      await dialog.accept();
      return;
    }
    problems.push(`${label} unexpected ${dialog.type()} dialog: ${dialog.message()}`);
    await dialog.dismiss();
  });
}

function check(condition, what) {
  if (!condition) throw new Error(what);
}

let currentStep = '';
async function step(name, fn, { allow = [] } = {}) {
  currentStep = name;
  const t0 = Date.now();
  allowed = allow;
  try {
    await fn();
  } finally {
    allowed = [];
  }
  if (problems.length) throw new Error(`during "${name}":\n  ${problems.join('\n  ')}`);
  console.log(`ok  ${name} (${Date.now() - t0} ms)`);
}

// ---- page helpers: elements found the way a person finds them (labels, button texts) ----

/** The visible control whose <label> text is exactly `text`. */
async function byLabel(page, text, { timeout = WAIT_MS } = {}) {
  const handle = await page.waitForFunction(
    (wanted) => {
      for (const label of document.querySelectorAll('label')) {
        if (label.textContent.trim() !== wanted || !label.htmlFor) continue;
        const el = document.getElementById(label.htmlFor);
        if (el && (el.offsetParent !== null || el.type === 'file')) return el;
      }
      return null;
    },
    { timeout },
    text,
  );
  return handle.asElement();
}

/** The visible <button> whose text is exactly `text` (inside `scope` when given). */
async function button(page, text, scope = 'body', { timeout = WAIT_MS } = {}) {
  const handle = await page.waitForFunction(
    (wanted, sel) => {
      const root = document.querySelector(sel);
      if (!root) return null;
      for (const b of root.querySelectorAll('button')) {
        if (b.textContent.trim() === wanted && b.offsetParent !== null && !b.disabled) return b;
      }
      return null;
    },
    { timeout },
    text,
    scope,
  );
  return handle.asElement();
}

/** Follows the navigation link `text` and waits for the page's <h1> (`title`, default `text`). */
async function clickNav(page, text, title = text) {
  const link = await page.waitForFunction(
    (wanted) => [...document.querySelectorAll('nav[aria-label="Main"] a')].find((a) => a.textContent.trim() === wanted) || null,
    { timeout: WAIT_MS },
    text,
  );
  await link.asElement().click();
  await page.waitForFunction(
    (wanted) => {
      const h1 = document.querySelector('#page-root h1');
      return h1 && !document.querySelector('#page-root > .page > .loading') && (wanted === null || h1.textContent.trim() === wanted);
    },
    { timeout: WAIT_MS },
    title,
  );
}

async function waitText(page, selector, pattern, what) {
  try {
    await page.waitForFunction(
      (sel, source, flags) => {
        const re = new RegExp(source, flags);
        return [...document.querySelectorAll(sel)].some((el) => re.test(el.textContent));
      },
      { timeout: WAIT_MS },
      selector,
      pattern.source,
      pattern.flags,
    );
  } catch {
    const seen = await page.$$eval(selector, (els) => els.map((e) => e.textContent.trim()).filter(Boolean));
    throw new Error(`${what}: no ${selector} matching ${pattern} (saw: ${JSON.stringify(seen).slice(0, 600)})`);
  }
}

/** Puts a token in "Access token" as a paste would (typing 600 characters takes seconds). */
async function pasteToken(page, token) {
  const field = await byLabel(page, 'Access token');
  await page.evaluate((el, t) => {
    el.value = t;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, field, token);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(env.shots, `console-${name}.png`), fullPage: false });
}

function run(command) {
  return spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 60000 });
}

// ---- the flow ----

const hubId = crypto.randomUUID();
// Hostile text in a name another page shows (the group form's hub choices, the groups table):
// it must stay those characters everywhere and never become an element.
const hubName = '<img src=x onerror=alert(1)>';
const groupName = 'acme sensors';
let groupId = '';

const browser = await puppeteer.launch({
  executablePath: env.chromium,
  headless: true,
  args: ['--no-sandbox', '--ignore-certificate-errors'],
  acceptInsecureCerts: true,
});
let exitCode = 0;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  watch(page, 'console');

  await step(
    'a wrong token is refused with the reason, back at sign-in',
    async () => {
      await page.goto(env.url, { waitUntil: 'networkidle0' });
      await page.waitForFunction(() => document.querySelector('h1') && document.querySelector('h1').textContent.trim() === 'Sign in' && !document.querySelector('#signin-view').hidden, { timeout: WAIT_MS });
      await shot(page, 'signin');
      const token = await byLabel(page, 'Access token');
      await token.type('not-a-token');
      await (await button(page, 'Sign in')).click();
      await waitText(page, '[role="alert"]', /\S/, 'the wrong token');
      const reason = await page.$$eval('[role="alert"]', (els) => els.map((e) => e.textContent.trim()).filter(Boolean).join(' | '));
      check(/token/i.test(reason), `the reason should be the API's, got "${reason}"`);
      check(await page.$eval('#signin-view', (e) => !e.hidden), 'not at the sign-in view');
      check(await page.$eval('nav[aria-label="Main"]', (e) => e.hidden), 'the navigation shows while signed out');
    },
    { allow: [{ status: 401, url: '/api/v1/' }] },
  );

  await step('sign in with the admin token', async () => {
    await pasteToken(page, env.token);
    await (await button(page, 'Sign in')).click();
    await page.waitForFunction(() => {
      const h1 = document.querySelector('#page-root h1');
      return h1 && h1.textContent.trim() === 'Enrollment groups';
    }, { timeout: WAIT_MS });
    check(await page.evaluate(() => sessionStorage.getItem('dps.token') !== null && localStorage.length === 0 && document.cookie === ''), 'the token must be in sessionStorage only');
  });

  await step('create a hub with a hostile name: shown as text', async () => {
    await clickNav(page, 'Hubs');
    await (await button(page, 'New hub')).click();
    await (await byLabel(page, 'Hub ID')).type(hubId);
    await (await byLabel(page, 'Name')).type(hubName);
    await (await byLabel(page, 'Gateways')).type('coaps+tcp://hub.example.com:5684');
    const owner = await page.evaluate((el) => el.value, await byLabel(page, 'Owner claim'));
    check(owner === 'https://plgd.dev/owner', `Owner claim default: ${owner}`);
    await (await button(page, 'Create hub')).click();
    await waitText(page, '[role="status"]', /created/, 'hub created');
    await waitText(page, 'table tbody tr', new RegExp(hubId), 'the hub in the table');
    const shown = await page.evaluate((id) => {
      const row = [...document.querySelectorAll('table tbody tr')].find((r) => r.textContent.includes(id));
      const cell = row && row.querySelector('td[data-label="Name"]');
      return cell ? cell.textContent : null;
    }, hubId);
    check(shown === hubName, `the hub's name shown as ${JSON.stringify(shown)} in the hubs table`);
    const imgs = await page.evaluate(() => document.querySelectorAll('img').length);
    check(imgs === 0, `${imgs} <img> elements in the page: the hub name was parsed as HTML`);
    await shot(page, 'hubs');
  });

  await step("create the enrollment group from the chain file, with the proof of possession (the hub's name as text)", async () => {
    await clickNav(page, 'Enrollment groups');
    await (await button(page, 'New enrollment group')).click();
    await (await byLabel(page, 'Name')).type(groupName);
    await (await byLabel(page, 'Certificate chain (PEM)')).uploadFile(env.chain);
    // The chain is parsed in the page: its certificates are listed and the lead is chosen among them.
    await waitText(page, 'table caption', /Certificates in the chain/, 'the chain listed');
    const lead = await byLabel(page, 'Lead certificate');
    const options = await page.evaluate((s) => [...s.options].map((o) => o.value), lead);
    check(options.includes(leadCN), `Lead certificate options ${JSON.stringify(options)} lack ${leadCN}`);
    const leadId = await page.evaluate((s) => s.id, lead);
    await page.select(`#${leadId}`, leadCN);
    const hubBox = await page.waitForFunction(
      (id) => [...document.querySelectorAll('input[type="checkbox"][name="hubIds"]')].find((b) => b.value === id) || null,
      { timeout: WAIT_MS },
      hubId,
    );
    const hubLabel = await page.evaluate((b) => document.querySelector(`label[for="${b.id}"]`).textContent, hubBox);
    check(hubLabel === `${hubName} (${hubId})`, `hub checkbox label "${hubLabel}"`);
    check((await page.evaluate(() => document.querySelectorAll('img').length)) === 0, 'an <img> appeared in the group form');
    await hubBox.asElement().click();

    // Proof of possession: the code, then the commands the page shows, run here with the lead key.
    await (await button(page, 'Get verification code')).click();
    await page.waitForSelector('pre code.commands', { timeout: WAIT_MS });
    const code = await page.$eval('code.code-box', (e) => e.textContent.trim());
    check(/^[0-9a-f]{32}$/.test(code), `verification code "${code}"`);
    const commands = await page.$eval('pre code.commands', (e) => e.textContent);
    check(commands.includes(`/CN=${code}`), 'the commands do not name the code');
    const quote = (p) => `'${p.replace(/'/g, "'\\''")}'`;
    for (const line of commands.split('\n').filter((l) => l.trim())) {
      check(line.startsWith('openssl '), `not an openssl command: ${line}`);
      const real = line.replace(/\blead\.pem\b/g, quote(env.leadCert)).replace(/\blead\.key\b/g, quote(env.leadKey));
      const out = spawnSync('sh', ['-c', real], { cwd: work, encoding: 'utf8' });
      check(out.status === 0, `the page's command failed (${out.status}): ${real}\n${out.stderr}`);
    }
    const verification = path.join(work, 'verification.pem');
    check(fs.existsSync(verification), 'the commands wrote no verification.pem');
    await (await byLabel(page, 'Verification certificate (PEM)')).uploadFile(verification);
    await page.evaluate(() => document.querySelector('.group-form').scrollIntoView());
    await shot(page, 'groups-form');
    await (await button(page, 'Create group')).click();
    await waitText(page, '[role="status"]', /created/, 'group created');
    groupId = await page.evaluate((name) => {
      const row = [...document.querySelectorAll('table tbody tr')].find((r) => {
        const cell = r.querySelector('.name');
        return cell && cell.textContent === name;
      });
      return row ? row.dataset.id : '';
    }, groupName);
    check(/^[0-9a-f-]{36}$/.test(groupId), `no table row shows the group name (got id "${groupId}")`);
    // Hostile text stays text: the hub's name is shown literally in the group's row and made no element.
    const imgs = await page.evaluate(() => document.querySelectorAll('img').length);
    check(imgs === 0, `${imgs} <img> elements in the page: the hub name was parsed as HTML`);
    const hubsText = await page.$eval(`tr[data-id="${groupId}"] td[data-label="Hubs"]`, (e) => e.textContent);
    check(hubsText === hubName, `the group's hub shown as "${hubsText}"`);
    await shot(page, 'groups');
    await page.setViewport({ width: 390, height: 844 });
    await new Promise((r) => setTimeout(r, 200));
    await shot(page, 'groups-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, `the groups page is ${overflow}px wider than a 390px phone`);
    await page.setViewport({ width: 1280, height: 800 });
  });

  if (env.otherToken) {
    await step("another owner does not see the group", async () => {
      const context = await browser.createBrowserContext();
      const other = await context.newPage();
      watch(other, 'other owner');
      await other.goto(env.url, { waitUntil: 'networkidle0' });
      await pasteToken(other, env.otherToken);
      await (await button(other, 'Sign in')).click();
      await other.waitForFunction(() => {
        const h1 = document.querySelector('#page-root h1');
        return h1 && h1.textContent.trim() === 'Enrollment groups' && !document.querySelector('#page-root .loading');
      }, { timeout: WAIT_MS });
      await other.waitForFunction(() => document.querySelector('#page-root .empty-state, #page-root table'), { timeout: WAIT_MS });
      const rows = await other.$$eval('tr[data-id]', (rs) => rs.map((r) => r.dataset.id));
      check(!rows.includes(groupId), "another owner's console lists the group");
      await context.close();
    });
  }

  await step('provision the device', async () => {
    const out = run(env.provision);
    check(out.status === 0, `provisioning exited ${out.status}:\n${out.stdout}\n${out.stderr}`);
  });

  await step("the device's provisioning record shows", async () => {
    // Its id, read in the page with the signed-in token: the row is found by data-id, or by the CN.
    const deadline = Date.now() + WAIT_MS;
    let found = false;
    let ids = [];
    while (!found && Date.now() < deadline) {
      await clickNav(page, 'Provisioning records');
      ids = await page.evaluate(async (cn) => {
        const response = await fetch('/api/v1/provisioning-records', { headers: { Authorization: `Bearer ${sessionStorage.getItem('dps.token')}` } });
        const text = await response.text();
        return text
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l).result)
          .filter((r) => r && r.attestation && r.attestation.x509 && r.attestation.x509.commonName === cn)
          .map((r) => r.id);
      }, deviceCN);
      try {
        await page.waitForFunction(
          (wanted, cn) => [...document.querySelectorAll('tr[data-id]')].some((r) => wanted.includes(r.dataset.id) || r.textContent.includes(cn)),
          { timeout: 3000 },
          ids,
          deviceCN,
        );
        found = true;
      } catch {
        await clickNav(page, 'Explain'); // away and back: the page reads the records again
      }
    }
    check(found, `no row of the Provisioning records page has data-id in ${JSON.stringify(ids)} or the text "${deviceCN}"`);
    await shot(page, 'records');
  });

  await step("revoke the device's serial in the group's revocation form", async () => {
    await clickNav(page, 'Enrollment groups');
    await page.waitForSelector(`tr[data-id="${groupId}"]`, { timeout: WAIT_MS });
    await (await button(page, 'Edit', `tr[data-id="${groupId}"]`)).click();
    await (await byLabel(page, 'Serial number or public key SHA-256')).type(deviceSerial);
    await (await button(page, 'Revoke')).click();
    await page.waitForSelector(`.revoked-list li[data-entry="${deviceSerial}"]`, { timeout: WAIT_MS });
    await waitText(page, '[role="status"]', /Revoked/, 'revocation confirmed');
    await shot(page, 'groups-revocation');
  });

  await step('the revoked device is refused', async () => {
    const out = run(env.provision);
    check(out.status !== 0, `provisioning a revoked device exited 0:\n${out.stdout}`);
  });

  await step('Explain: the revoked device certificate is refused "revoked"', async () => {
    await clickNav(page, 'Explain');
    await (await byLabel(page, 'Device certificate (PEM)')).uploadFile(env.deviceCert);
    await page.waitForFunction(() => document.querySelector('#page-root textarea').value.includes('BEGIN CERTIFICATE'), { timeout: WAIT_MS });
    await (await button(page, 'Explain')).click();
    await page.waitForSelector('h2.verdict', { timeout: WAIT_MS });
    const verdict = await page.$eval('h2.verdict', (e) => e.textContent.trim());
    check(/^Refused: .*revoked/i.test(verdict), `verdict "${verdict}"`);
    await shot(page, 'explain');
  });

  await step('Explain: another device certificate of the group is admitted', async () => {
    await (await byLabel(page, 'Device certificate (PEM)')).uploadFile(env.secondCert);
    await page.waitForFunction((start) => document.querySelector('#page-root textarea').value.startsWith(start), { timeout: WAIT_MS }, fs.readFileSync(env.secondCert, 'utf8').slice(0, 40));
    await (await button(page, 'Explain')).click();
    await page.waitForFunction(() => /^Admitted by/.test((document.querySelector('h2.verdict') || {}).textContent || ''), { timeout: WAIT_MS });
    const verdict = await page.$eval('h2.verdict', (e) => e.textContent.trim());
    check(verdict === `Admitted by enrollment group ${groupName}`, `verdict "${verdict}"`);
    check(await page.$(`tr[data-id="${groupId}"]`), 'the group is not among the candidates');
    check((await page.evaluate(() => document.querySelectorAll('img').length)) === 0, 'an <img> appeared');
  });

  await step('Explain: a key file and a >256 KiB file are refused in the page, nothing sent', async () => {
    let explainRequests = 0;
    const count = (req) => {
      if (req.url().includes('/api/v1/explain')) explainRequests += 1;
    };
    page.on('request', count);
    const keyFile = path.join(work, 'not-a-certificate.pem');
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', keyFile);
    await (await byLabel(page, 'Device certificate (PEM)')).uploadFile(keyFile);
    await waitText(page, '.field-error', /not a PEM certificate/, 'a private key file');
    const big = path.join(work, 'big.pem');
    fs.writeFileSync(big, `${fs.readFileSync(env.deviceCert, 'utf8')}\n${'x'.repeat(300 * 1024)}\n`);
    await (await byLabel(page, 'Device certificate (PEM)')).uploadFile(big);
    await waitText(page, '.field-error', /file too large \(max 256 KiB\)/, 'a 300 KiB file');
    // Pasted text that is not a certificate: refused before sending too.
    await page.$eval('#page-root textarea', (e) => (e.value = 'hello'));
    await (await button(page, 'Explain')).click();
    await waitText(page, '.field-error', /not a PEM certificate/, 'pasted text');
    page.off('request', count);
    check(explainRequests === 0, `${explainRequests} explain request(s) sent for refused input`);
  });

  await step('screenshots of the other pages', async () => {
    for (const [nav, name] of [
      ['Individual enrollments', 'individual'],
      ['Templates', 'templates'],
      ['Live', 'live'],
    ]) {
      await clickNav(page, nav, null);
      await new Promise((r) => setTimeout(r, 300));
      await shot(page, name);
    }
  });

  await step('sign out', async () => {
    await (await button(page, 'Sign out')).click();
    await page.waitForFunction(() => !document.querySelector('#signin-view').hidden, { timeout: WAIT_MS });
    check(await page.evaluate(() => sessionStorage.getItem('dps.token') === null), 'the token survived signing out');
  });
} catch (e) {
  exitCode = 1;
  console.error(`FAILED at "${currentStep}": ${e.message}`);
  if (problems.length) console.error(`browser problems:\n  ${problems.join('\n  ')}`);
  try {
    const pages = await browser.pages();
    const last = pages[pages.length - 1];
    // What the page said when it failed: its headings, alerts and notices.
    const said = await last.evaluate(() =>
      [...document.querySelectorAll('h1, h2, [role="alert"], [role="status"]')]
        .filter((e) => e.offsetParent !== null && e.textContent.trim())
        .map((e) => `${e.getAttribute('role') || e.tagName.toLowerCase()}: ${e.textContent.trim().slice(0, 300)}`),
    );
    console.error(`the page showed:\n  ${said.join('\n  ')}`);
    if (last) await last.screenshot({ path: path.join(env.shots, 'console-failure.png') });
    console.error(`screenshot of the failure: ${path.join(env.shots, 'console-failure.png')}`);
  } catch {
    // the browser is gone
  }
} finally {
  await browser.close();
  fs.rmSync(work, { recursive: true, force: true });
}
console.log(`console_flow: ${exitCode === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(exitCode);
