// Browser test of the console's pages "Provisioning records", "Live", "Individual enrollments"
// and "Templates", driven in Debian's headless Chromium through puppeteer-core against a running
// dps whose console and API are at DPS_CONSOLE_URL.
//
// Environment:
//   DPS_CONSOLE_URL        the console, e.g. https://127.0.0.1:9100/console/ (required)
//   DPS_ADMIN_TOKEN        a management API token (the text of <data>/admin.token) (required)
//   DPS_SCREENSHOT_DIR     where console-<page>.png go (required; created if missing)
//   DPS_RECORD_DEVICE_ID   a device the harness provisioned before: its record must show every
//                          step ok (required)
//   DPS_REFUSED_DEVICE_ID  a device refused after provisioning (e.g. its serial revoked): its
//                          record must show the attestation step as an error (optional)
//   DPS_DEVICE_CERT_PEM    path of a device certificate (PEM) no individual enrollment holds yet;
//                          the test enrolls it through the form's file chooser and deletes the
//                          enrollment again at the end (required)
//   DPS_CHROMIUM           the browser (default /usr/bin/chromium)
//
// Exit 0 when every check passed; 1 with the reasons otherwise, including any console error,
// page error, CSP violation or failed request the test did not cause on purpose. Takes about
// 30 s (most of it waiting for polls and for the reconnect back-off).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const started = Date.now();
const env = (name, required = true) => {
  const value = process.env[name];
  if (required && !value) {
    console.error(`console_pages: ${name} is not set (see the top of ${path.basename(import.meta.url)})`);
    process.exit(2);
  }
  return value || '';
};
const CONSOLE_URL = env('DPS_CONSOLE_URL');
const TOKEN = env('DPS_ADMIN_TOKEN').trim();
const SHOTS = env('DPS_SCREENSHOT_DIR');
const RECORD_DEVICE = env('DPS_RECORD_DEVICE_ID').toLowerCase();
const REFUSED_DEVICE = env('DPS_REFUSED_DEVICE_ID', false).toLowerCase();
const DEVICE_CERT = env('DPS_DEVICE_CERT_PEM');
const CHROMIUM = process.env.DPS_CHROMIUM || '/usr/bin/chromium';
fs.mkdirSync(SHOTS, { recursive: true });

const failures = [];
const fail = (text) => {
  failures.push(text);
  console.error(`FAIL: ${text}`);
};
const log = (text) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const suffix = Math.random().toString(36).slice(2, 8);

// Requests the test makes fail on purpose: while `offline` is set, API requests are aborted
// (and the console's "Failed to load resource" lines for them are expected); `expectedStatus`
// lists answers >= 400 the test asks for (method + path prefix + status).
let offline = false;
let offlineUntil = 0; // console lines about aborted requests may arrive a little after
const expectedStatus = [];

const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--ignore-certificate-errors'],
});

let exitCode = 1;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.setDefaultTimeout(15000);

  // A CSP violation also reaches the console, but an event says it for sure.
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
  const inOfflineWindow = () => offline || Date.now() < offlineUntil;
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error') {
      if (inOfflineWindow() && /Failed to load resource|net::ERR_/.test(text)) return;
      if (/Failed to load resource: the server responded with a status of (\d+)/.test(text)) {
        const status = Number(RegExp.$1);
        const url = msg.location() && msg.location().url ? msg.location().url : '';
        if (expectedStatus.some((e) => e.status === status && (!url || url.includes(e.path)))) return;
      }
      fail(`console error: ${text}`);
    } else if (/Content Security Policy|CSP/.test(text)) {
      fail(`console ${msg.type()}: ${text}`);
    }
  });
  page.on('pageerror', (err) => fail(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    if (inOfflineWindow() && req.url().includes('/api/')) return;
    // The console cancels the requests of a page it leaves (its AbortSignal): not a failure.
    if (req.failure() && req.failure().errorText === 'net::ERR_ABORTED' && /^\/(api\/|metrics$)/.test(new URL(req.url()).pathname)) return;
    fail(`request failed: ${req.method()} ${req.url()}: ${req.failure() && req.failure().errorText}`);
  });
  page.on('response', (res) => {
    if (res.status() < 400) return;
    const u = new URL(res.url());
    const method = res.request().method();
    const i = expectedStatus.findIndex((e) => e.status === res.status() && e.method === method && u.pathname.startsWith(e.path));
    if (i >= 0) return;
    fail(`unexpected answer ${res.status()} to ${method} ${u.pathname}${u.search}`);
  });

  // ---- helpers (selecting by what a user sees: labels, button texts, roles) ----

  // Both wait (up to 10 s) for the element: pages draw their lists after their first read.
  const control = async (labelText) => {
    try {
      const handle = await page.waitForFunction(
        (t) => {
          const isVisible = (el) => !!(el && (el.offsetWidth || el.offsetHeight || el.getClientRects().length));
          const label = [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === t && isVisible(l));
          return label ? document.getElementById(label.htmlFor) : null;
        },
        { timeout: 10000, polling: 100 },
        labelText,
      );
      return handle.asElement();
    } catch {
      throw new Error(`no visible control labelled "${labelText}"`);
    }
  };
  const button = async (text, within = null) => {
    try {
      const handle = await page.waitForFunction(
        (t, root) => {
          const isVisible = (el) => !!(el && (el.offsetWidth || el.offsetHeight || el.getClientRects().length));
          return [...(root || document).querySelectorAll('button')].find((b) => b.textContent.trim() === t && isVisible(b)) || null;
        },
        { timeout: 10000, polling: 100 },
        text,
        within,
      );
      return handle.asElement();
    } catch {
      throw new Error(`no visible button "${text}"`);
    }
  };
  const clickButton = async (text, within) => (await button(text, within)).click();
  const nav = async (linkText, hash) => {
    const link = await page.evaluateHandle(
      (t) => [...document.querySelectorAll('nav[aria-label="Main"] a')].find((a) => a.textContent.trim() === t) || null,
      linkText,
    );
    if (!link.asElement()) throw new Error(`no nav link "${linkText}"`);
    await link.asElement().click();
    await page.waitForFunction((h) => location.hash === h && document.querySelector('#main h1'), {}, hash);
  };
  const waitText = (selector, re, timeout = 15000) =>
    page.waitForFunction(
      (sel, src, flags) => {
        const r = new RegExp(src, flags);
        return [...document.querySelectorAll(sel)].some((el) => r.test(el.textContent));
      },
      { timeout, polling: 100 },
      selector,
      re.source,
      re.flags,
    );
  const setValue = async (el, text) => {
    // Paste-like: set the value and fire input, as typing a whole PEM key by key would be slow.
    await el.evaluate((node, t) => {
      node.value = t;
      node.dispatchEvent(new Event('input', { bubbles: true }));
    }, text);
  };
  const shot = async (name) => {
    await page.screenshot({ path: path.join(SHOTS, `console-${name}.png`) });
    log(`screenshot console-${name}.png`);
  };
  // A failed step is reported and the next one runs, unless it is critical (nothing after it
  // could pass: signing in).
  const step = async (name, fn, { critical = false } = {}) => {
    log(name);
    try {
      await fn();
    } catch (e) {
      fail(`${name}: ${e.message.split('\n')[0]}`);
      if (critical) throw new Error(`stopped after "${name}"`);
    }
  };

  // ---- sign in ----

  await step('sign in with the token', async () => {
    await page.goto(CONSOLE_URL, { waitUntil: 'networkidle0' });
    await page.waitForFunction(() => document.querySelector('h1') && /Sign in/.test(document.querySelector('h1:not([hidden])').textContent));
    await setValue(await control('Access token'), TOKEN);
    await clickButton('Sign in');
    await page.waitForFunction(() => {
      const n = document.querySelector('nav[aria-label="Main"]');
      return n && !n.hidden;
    });
  }, { critical: true });

  // ---- provisioning records ----

  const rowOf = (deviceId) =>
    page.evaluateHandle((id) => {
      return (
        [...document.querySelectorAll('tbody tr[data-id]')].find((tr) => {
          const b = tr.querySelector('button');
          return b && b.textContent.trim().toLowerCase() === id;
        }) || null
      );
    }, deviceId);
  const stepTexts = (tr) => tr.evaluate((row) => [...row.querySelectorAll('td[data-step]')].map((td) => `${td.dataset.step}: ${td.textContent.trim()}`));

  await step('records: the record shows every step ok', async () => {
    await nav('Provisioning records', '#/records');
    await waitText('h1', /^Provisioning records$/);
    await page.waitForFunction(
      (id) => [...document.querySelectorAll('tbody tr[data-id] button')].some((b) => b.textContent.trim().toLowerCase() === id),
      {},
      RECORD_DEVICE,
    );
    const row = (await rowOf(RECORD_DEVICE)).asElement();
    const steps = await stepTexts(row);
    const wanted = ['attestation', 'time', 'ownership', 'cloud', 'credentials', 'acls'];
    for (const s of wanted) {
      const cell = steps.find((t) => t.startsWith(`${s}:`));
      if (!cell) fail(`records: no ${s} cell for ${RECORD_DEVICE}`);
      else if (!/\bok\b/.test(cell) || /error|pending/.test(cell)) fail(`records: ${RECORD_DEVICE} ${cell} (want ok)`);
      else if (s !== 'attestation' && !/\b2\.0\d\b/.test(cell)) fail(`records: ${cell} shows no CoAP code`);
    }
    if (!(await row.evaluate((tr) => /^[0-9a-f-]{36}$/.test(tr.dataset.id)))) fail('records: the row has no record id in data-id');
  });

  if (REFUSED_DEVICE) {
    await step('records: the refused device shows its attestation error', async () => {
      await page.waitForFunction(
        (id) => [...document.querySelectorAll('tbody tr[data-id] button')].some((b) => b.textContent.trim().toLowerCase() === id),
        {},
        REFUSED_DEVICE,
      );
      const row = (await rowOf(REFUSED_DEVICE)).asElement();
      const steps = await stepTexts(row);
      const att = steps.find((t) => t.startsWith('attestation:')) || '';
      if (!/\berror\b/.test(att)) fail(`records: refused device ${REFUSED_DEVICE} ${att} (want error)`);
    });
  }

  await step('records: screenshot at 1280x800 and 390x844', async () => {
    await shot('records');
    await page.setViewport({ width: 390, height: 844 });
    await sleep(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 2) fail(`records at 390 px: the page scrolls sideways by ${overflow} px`);
    await page.screenshot({ path: path.join(SHOTS, 'console-records-phone.png') });
    log('screenshot console-records-phone.png');
    await page.setViewport({ width: 1280, height: 800 });
    await sleep(200);
  });

  await step('records: the detail decodes the certificates (keyboard)', async () => {
    const row = (await rowOf(RECORD_DEVICE)).asElement();
    const open = await row.$('button');
    await open.focus();
    await page.keyboard.press('Enter');
    await waitText('.record-detail h2', new RegExp(`Device ${RECORD_DEVICE}`, 'i'));
    const detail = await page.$eval('.record-detail', (d) => d.innerText);
    for (const want of [
      'Manufacturer certificate (attestation)',
      'Identity certificate (issued)',
      'Subject',
      'Issuer',
      'Serial',
      'Valid until',
      'clientAuth',
      'Hub access token',
      'Delete record',
    ]) {
      if (!detail.includes(want)) fail(`records detail: "${want}" missing`);
    }
    if (!/CN=uuid:/i.test(detail)) fail('records detail: the identity certificate subject (CN=uuid:...) is not shown');
    const stepRows = await page.$$eval('.record-detail .steps-table tbody tr', (trs) => trs.map((tr) => tr.innerText));
    if (stepRows.length < 6) fail(`records detail: ${stepRows.length} step rows (want 6)`);
    for (const r of stepRows.slice(0, 6)) if (!/\bok\b/.test(r)) fail(`records detail: step not ok: ${r.replace(/\s+/g, ' ')}`);
    const expanded = await open.evaluate((b) => b.getAttribute('aria-expanded'));
    if (expanded !== 'true') fail('records: the row button does not say aria-expanded="true"');
  });

  await step('records: the detail survives an auto-refresh', async () => {
    await sleep(3500);
    const still = await page.$eval('.record-detail h2', (h) => h.textContent).catch(() => '');
    if (!still.toLowerCase().includes(RECORD_DEVICE)) fail('records: the selection was lost after an auto-refresh');
  });

  const search = async (text) => {
    const input = await control('Search records');
    await input.click({ clickCount: 3 });
    await page.keyboard.press('Backspace');
    if (text) await input.type(text);
  };
  const listedDevices = () =>
    page.$$eval('.records-table tbody tr[data-id] button', (bs) => bs.map((b) => b.textContent.trim().toLowerCase()));

  await step('records: search by part of the device id (client-side)', async () => {
    const part = RECORD_DEVICE.slice(0, 13);
    await search(part);
    await page.waitForFunction(
      (p) => {
        const bs = [...document.querySelectorAll('.records-table tbody tr[data-id] button')];
        return bs.length > 0 && bs.every((b) => b.textContent.trim().toLowerCase().includes(p));
      },
      { polling: 100 },
      part,
    );
    const listed = await listedDevices();
    if (!listed.includes(RECORD_DEVICE)) fail(`records search "${part}": ${RECORD_DEVICE} not listed`);
    if (REFUSED_DEVICE && listed.includes(REFUSED_DEVICE)) fail(`records search "${part}": the refused device is not filtered out`);
  });

  await step('records: search by the whole device id (server-side filter)', async () => {
    await search(RECORD_DEVICE);
    await page.waitForFunction(
      (id) => {
        const bs = [...document.querySelectorAll('.records-table tbody tr[data-id] button')];
        return bs.length === 1 && bs[0].textContent.trim().toLowerCase() === id;
      },
      { polling: 100 },
      RECORD_DEVICE,
    );
  });

  await step('records: a search matching nothing says so', async () => {
    await search('no-such-device-zzz');
    await waitText('p.empty-state', /No record matches the search/);
  });

  await step('records: dps unreachable shows "Reconnecting to dps…" and keeps the input', async () => {
    const text = RECORD_DEVICE.slice(0, 8);
    await search(text);
    await page.waitForFunction(
      (p) => [...document.querySelectorAll('.records-table tbody tr[data-id] button')].some((b) => b.textContent.toLowerCase().includes(p)),
      { polling: 100 },
      text,
    );
    await page.setRequestInterception(true);
    const handler = (req) => {
      if (offline && req.url().includes('/api/')) req.abort('internetdisconnected');
      else req.continue();
    };
    page.on('request', handler);
    offline = true;
    try {
      // The page polls every 3 s: its next read fails and the banner shows.
      await page.waitForFunction(
        () => [...document.querySelectorAll('[role="status"]')].some((el) => el.textContent.includes('Reconnecting to dps…') && el.offsetHeight > 0),
        { timeout: 10000, polling: 100 },
      );
      log('banner shown; dps stays unreachable 3 s more');
      await sleep(3000);
      await page.screenshot({ path: path.join(SHOTS, 'console-records-reconnecting.png') });
    } finally {
      offline = false;
      offlineUntil = Date.now() + 1000;
    }
    await page.waitForFunction(
      () => ![...document.querySelectorAll('[role="status"]')].some((el) => el.textContent.includes('Reconnecting to dps…') && el.offsetHeight > 0),
      { timeout: 20000, polling: 100 },
    );
    page.off('request', handler);
    await page.setRequestInterception(false);
    const value = await (await control('Search records')).evaluate((i) => i.value);
    if (value !== text) fail(`records: the search text is "${value}" after reconnecting (want "${text}")`);
    // And the page works again: the next refresh lists the record.
    await page.waitForFunction(
      (id) => [...document.querySelectorAll('.records-table tbody tr[data-id] button')].some((b) => b.textContent.trim().toLowerCase() === id),
      { timeout: 8000, polling: 100 },
      RECORD_DEVICE,
    );
    await search('');
  });

  // ---- live ----

  await step('live: provisioned count, per-step rows and latency', async () => {
    await nav('Live', '#/live');
    await page.waitForFunction(
      () => {
        const dd = document.querySelector('[data-id="provisioned"] dd');
        return dd && Number(dd.textContent.replace(/[^0-9]/g, '')) > 0;
      },
      { polling: 100 },
    );
    await page.waitForFunction(() => document.querySelectorAll('section[aria-labelledby="live-latency"] tbody tr[data-id]').length > 0, { polling: 100 });
    const latency = await page.$$eval('section[aria-labelledby="live-latency"] tbody tr[data-id]', (trs) =>
      trs.map((tr) => ({ step: tr.dataset.id, text: tr.innerText.replace(/\s+/g, ' ') })),
    );
    for (const s of ['time', 'ownership', 'cloudConfiguration', 'credentials', 'acls']) {
      const row = latency.find((r) => r.step === s);
      if (!row) fail(`live: no latency row for ${s}`);
      else if (!/\d(\.\d+)? (ms|s)/.test(row.text)) fail(`live: latency row ${s} has no duration: ${row.text}`);
    }
    const stepsRows = await page.$$eval('section[aria-labelledby="live-steps"] tbody tr[data-id]', (trs) => trs.map((tr) => tr.dataset.id));
    if (!stepsRows.includes('acls')) fail('live: no per-step count row for acls');
    const hs = await page.$$eval('section[aria-labelledby="live-handshakes"] tbody tr[data-id]', (trs) => trs.map((tr) => tr.dataset.id));
    if (!hs.includes('ok')) fail('live: no "ok" handshake row');
    await page.waitForFunction(
      (id) => [...document.querySelectorAll('section[aria-labelledby="live-arriving"] tbody tr')].some((tr) => tr.innerText.toLowerCase().includes(id)),
      { polling: 100 },
      RECORD_DEVICE,
    );
    // A second poll must not break anything (deltas are computed from it).
    await sleep(2300);
    await shot('live');
  });

  // ---- individual enrollments ----

  const enrollmentName = `browser test ${suffix}`;
  let enrollmentId = '';
  await step('individual: a file over 256 KiB is refused without a request', async () => {
    await nav('Individual enrollments', '#/individual');
    await clickButton('New individual enrollment');
    const big = path.join(os.tmpdir(), `console-pages-big-${suffix}.pem`);
    fs.writeFileSync(big, `${'A'.repeat(300 * 1024)}\n`);
    try {
      const chooser = await control('Certificate file');
      await chooser.uploadFile(big);
      await waitText('.field-error', /file too large \(max 256 KiB\)/);
      const pem = await (await control('Device certificate (PEM)')).evaluate((t) => t.value);
      if (pem) fail('individual: the oversized file was read into the form');
    } finally {
      fs.rmSync(big, { force: true });
    }
  });

  await step('individual: create from the certificate file; it appears in the list', async () => {
    const chooser = await control('Certificate file');
    await chooser.uploadFile(DEVICE_CERT);
    await page.waitForFunction(() => {
      const t = [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === 'Device certificate (PEM)');
      return t && document.getElementById(t.htmlFor).value.includes('BEGIN CERTIFICATE');
    });
    await (await control('Name')).type(enrollmentName);
    // A hub if the owner has one (required unless disabled), else a disabled enrollment.
    const hubBox = await page.$('fieldset .hub-choices input[type="checkbox"]');
    if (hubBox) await hubBox.click();
    else await (await control('Disabled: refuse this device (even when one of your groups admits it)')).click();
    await clickButton('Create enrollment');
    await waitText('[role="status"]', new RegExp(`Enrolled ${enrollmentName}`));
    enrollmentId = await page.evaluate((name) => {
      const tr = [...document.querySelectorAll('tbody tr[data-id]')].find((r) => r.innerText.includes(name));
      return tr ? tr.dataset.id : '';
    }, enrollmentName);
    if (!enrollmentId) fail('individual: the created enrollment is not in the list');
    const rowText = await page.$eval(`tr[data-id="${enrollmentId}"]`, (tr) => tr.innerText);
    if (!/CN /.test(rowText)) fail(`individual: the row does not show the certificate's CN: ${rowText.replace(/\s+/g, ' ')}`);
    await shot('individual');
  });

  await step('individual: disable, then delete with confirmation', async () => {
    if (!enrollmentId) throw new Error('no enrollment to act on');
    const row = await page.$(`tr[data-id="${enrollmentId}"]`);
    const toggle = await row.$(`button[aria-label^="Disable"], button[aria-label^="Enable"]`);
    const wasDisabled = /^Enable/.test(await toggle.evaluate((b) => b.getAttribute('aria-label')));
    await toggle.click();
    await page.waitForFunction(
      (id, want) => {
        const tr = document.querySelector(`tr[data-id="${id}"]`);
        return tr && tr.innerText.includes(want);
      },
      { polling: 100 },
      enrollmentId,
      wasDisabled ? 'enabled' : 'disabled',
    );
    const row2 = await page.$(`tr[data-id="${enrollmentId}"]`);
    await (await row2.$('button[aria-label^="Delete"]')).click();
    await clickButton('Delete', row2);
    await page.waitForFunction((id) => !document.querySelector(`tr[data-id="${id}"]`), { polling: 100 }, enrollmentId);
    await waitText('[role="status"]', /Deleted /);
    enrollmentId = '';
  });

  // ---- templates ----

  const templateName = `browser test template ${suffix}`;
  await step('templates: invalid JSON gets a clear error next to its field, nothing is sent', async () => {
    await nav('Templates', '#/templates');
    await clickButton('New template');
    await (await control('Name')).type(templateName);
    const acl = await control('Access control list (JSON)');
    await setValue(acl, '[{"subject": {"role": "operator"}, "resources": [');
    let posted = false;
    const watch = (req) => {
      if (req.method() === 'POST' && req.url().includes('/api/v1/enrollment-templates')) posted = true;
    };
    page.on('request', watch);
    await clickButton('Create template');
    await sleep(300);
    page.off('request', watch);
    const described = await acl.evaluate((t) => {
      const ids = (t.getAttribute('aria-describedby') || '').split(/\s+/);
      return ids.map((id) => document.getElementById(id)).filter((el) => el && el.getAttribute('role') === 'alert').map((el) => el.textContent).join(' ');
    });
    if (!/Access control list \(JSON\): not valid JSON/.test(described)) fail(`templates: invalid JSON error not next to the field: "${described}"`);
    if (posted) fail('templates: invalid JSON was sent to the server');
    if ((await acl.evaluate((t) => t.getAttribute('aria-invalid'))) !== 'true') fail('templates: the ACL field is not aria-invalid');
  });

  await step('templates: the API\'s error names the field and shows next to it', async () => {
    const acl = await control('Access control list (JSON)');
    await setValue(acl, '[{"subject": {"role": "operator"}, "resources": [{"href": "/light/1"}], "permission": 32}]');
    expectedStatus.push({ method: 'POST', path: '/api/v1/enrollment-templates', status: 400 });
    await clickButton('Create template');
    await page.waitForFunction(
      () => {
        const l = [...document.querySelectorAll('label')].find((x) => x.textContent.trim() === 'Access control list (JSON)');
        const t = l && document.getElementById(l.htmlFor);
        const ids = ((t && t.getAttribute('aria-describedby')) || '').split(/\s+/);
        return ids.some((id) => {
          const el = document.getElementById(id);
          return el && /accessControlList\[0\]\.permission/.test(el.textContent);
        });
      },
      { polling: 100 },
    );
    expectedStatus.pop();
  });

  let templateId = '';
  await step('templates: create, then edit', async () => {
    await setValue(await control('Access control list (JSON)'), '[{"subject": {"role": "operator"}, "resources": [{"href": "/light/1"}], "permission": 6}]');
    await setValue(await control('Pre-configuration (JSON)'), '[{"href": "/oic/con", "representation": {"n": "lamp-{{deviceId}}"}}]');
    await setValue(await control('Identity certificate validity'), '90d');
    await clickButton('Create template');
    await waitText('[role="status"]', new RegExp(`Created template ${templateName}`));
    templateId = await page.evaluate((name) => {
      const tr = [...document.querySelectorAll('tbody tr[data-id]')].find((r) => r.innerText.includes(name));
      return tr ? tr.dataset.id : '';
    }, templateName);
    if (!templateId) throw new Error('the created template is not in the list');
    const rowText = await page.$eval(`tr[data-id="${templateId}"]`, (tr) => tr.innerText.replace(/\s+/g, ' '));
    if (!/90d/.test(rowText) || !/\/oic\/con/.test(rowText)) fail(`templates: row does not show what was saved: ${rowText}`);
    await shot('templates');
    await (await page.$(`tr[data-id="${templateId}"] button[aria-label^="Edit"]`)).click();
    const name = await control('Name');
    if ((await name.evaluate((i) => i.value)) !== templateName) fail('templates: the edit form does not show the stored name');
    await name.type(' v2');
    await clickButton('Save template');
    await waitText('[role="status"]', new RegExp(`Saved template ${templateName} v2`));
  });

  await step('templates: delete with confirmation', async () => {
    if (!templateId) throw new Error('no template to delete');
    const row = await page.$(`tr[data-id="${templateId}"]`);
    await (await row.$('button[aria-label^="Delete"]')).click();
    await clickButton('Delete', row);
    await page.waitForFunction((id) => !document.querySelector(`tr[data-id="${id}"]`), { polling: 100 }, templateId);
    await waitText('[role="status"]', /Deleted template/);
    templateId = '';
  });

  await sleep(300); // late console lines
  exitCode = failures.length ? 1 : 0;
} catch (e) {
  if (!/^stopped after/.test(e.message)) fail(`unexpected: ${e.stack || e}`);
} finally {
  await browser.close();
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length) {
  console.error(`console_pages: ${failures.length} failure(s) in ${seconds} s:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(`console_pages: all checks passed in ${seconds} s; screenshots in ${SHOTS}`);
process.exit(exitCode);
