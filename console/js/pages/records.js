// Provisioning records: what each device went through, step by step, refreshed every 3 s while
// the page is shown (poll.js: not while the tab is hidden, less often while dps is slow). Records
// are read in dps's own form (`view=ocf`) because only that form carries the attestation step's
// status: a device an enrollment refused has a record whose attestation failed, and plgd's form
// would show it as attested. Everything in a record came
// from a device or a tenant (CNs, error messages), so it is rendered as text only.

import { h, clear, uid, setAlert } from '../dom.js';
import { parsePemCertificates, decodeJwtClaims } from '../pem.js';
import { startPolling } from '../poll.js';

const REFRESH_MS = 3000;
// Only the newest records are read (the API orders and limits them): an owner may have 100k,
// each with its certificates, and this page reads them every 3 s.
const MAX_ROWS = 200;
const ROUTE = '#/records';
const RECORDS_PATH = '/api/v1/provisioning-records';
const NEWEST = `view=ocf&newestFirst=true&limit=${MAX_ROWS}`;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---- helpers shared with live.js ----

/** "2.05" for 69; "none" for 0 (the step failed before a code existed). */
export function coapText(code) {
  if (typeof code !== 'number' || !Number.isInteger(code) || code <= 0 || code > 255) return 'none';
  return `${code >> 5}.${String(code & 31).padStart(2, '0')}`;
}

/** A Date from a nanoseconds-since-epoch string (int64 as JSON text); null when absent or 0. */
export function nsToDate(ns) {
  if (typeof ns !== 'string' || !/^-?[0-9]{1,20}$/.test(ns)) return null;
  const ms = Number(BigInt(ns) / 1000000n);
  if (!ms || !Number.isFinite(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date;
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** Local time as ISO 8601 with the offset: 2026-01-31T13:00:00.123+01:00. */
export function localIso(date) {
  if (!date) return '';
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Local time for tables: 2026-01-31 13:00:00. */
export function localShort(date) {
  if (!date) return '';
  return localIso(date).slice(0, 19).replace('T', ' ');
}

/** A <time> element for a Date (machine-readable UTC in datetime, local text shown). */
export function timeEl(date, short = false) {
  if (!date) return h('span', { class: 'muted' }, 'unknown');
  return h('time', { datetime: date.toISOString() }, short ? localShort(date) : localIso(date));
}

// The steps of a record in the order a device runs them. `status` reads both forms: dps's own
// ({status} per section) and plgd's (plgdTime flat, attestation without a status).
export const STEPS = [
  {
    key: 'attestation',
    label: 'Attestation',
    status: (r) => {
      const a = r && r.attestation;
      if (!a || typeof a !== 'object') return null;
      if (a.status && typeof a.status === 'object') return a.status;
      // plgd's form: a record exists only after a passed handshake.
      return { date: a.date, coapCode: 0, implicitOk: true };
    },
  },
  {
    key: 'time',
    label: 'Time',
    status: (r) => {
      const t = r && r.plgdTime;
      if (!t || typeof t !== 'object') return null;
      return t.status && typeof t.status === 'object' ? t.status : t;
    },
  },
  { key: 'ownership', label: 'Ownership', status: (r) => section(r, 'ownership') },
  { key: 'cloud', label: 'Cloud', status: (r) => section(r, 'cloud') },
  { key: 'credentials', label: 'Credentials', status: (r) => section(r, 'credential') },
  { key: 'acls', label: 'ACLs', status: (r) => section(r, 'acl') },
];

function section(record, name) {
  const s = record && record[name];
  return s && typeof s === 'object' && s.status && typeof s.status === 'object' ? s.status : null;
}

/** {state: 'ok'|'error'|'pending', code: '2.05'|'none'|'', message} of one step status. */
export function stepState(status) {
  if (!status) return { state: 'pending', code: '', message: '' };
  const code = typeof status.coapCode === 'number' ? status.coapCode : 0;
  const message = typeof status.errorMessage === 'string' ? status.errorMessage : '';
  const cls = code >> 5;
  if (status.implicitOk) return { state: 'ok', code: '', message: '' };
  if (message || cls >= 4 || code === 0) return { state: 'error', code: coapText(code), message };
  return { state: 'ok', code: coapText(code), message: '' };
}

/** A status badge: the state as text (never colour alone), then the CoAP code. */
export function stepBadge(status, { withCode = true } = {}) {
  const s = stepState(status);
  const label = { ok: 'ok', error: 'error', pending: 'pending' }[s.state];
  return h(
    'span',
    { class: ['step-badge', `step-${s.state}`] },
    h('span', { class: 'step-mark', 'aria-hidden': 'true' }, { ok: '✓', error: '✗', pending: '…' }[s.state]),
    ` ${label}`,
    withCode && s.code ? h('span', { class: 'step-code' }, ` ${s.code}`) : null,
  );
}

/** One line summing a record up: "provisioned", "refused at attestation", "in progress (cloud)". */
export function recordSummary(record) {
  let pending = null;
  for (const step of STEPS) {
    const s = stepState(step.status(record));
    if (s.state === 'error') {
      const code = s.code && s.code !== 'none' ? ` (${s.code})` : '';
      return { state: 'error', text: `error at ${step.label.toLowerCase()}${code}` };
    }
    if (s.state === 'pending' && !pending) pending = step.label.toLowerCase();
  }
  if (pending) return { state: 'pending', text: `in progress (${pending} pending)` };
  return { state: 'ok', text: 'provisioned' };
}

export function creationDate(record) {
  return nsToDate(record && record.creationDate) || nsToDate(record && record.attestation && record.attestation.date);
}

/** Newest first by creation date; ties by id so the order is stable between refreshes. */
export function byNewest(a, b) {
  const da = creationDate(a);
  const db = creationDate(b);
  const ta = da ? da.getTime() : 0;
  const tb = db ? db.getTime() : 0;
  if (ta !== tb) return tb - ta;
  return String(a.id).localeCompare(String(b.id));
}

/** Which enrollment admitted the device, as text. */
export function enrollmentText(record) {
  if (record.enrollmentGroupId) return `group ${record.enrollmentGroupId}`;
  if (record.individualEnrollmentId) return `individual ${record.individualEnrollmentId}`;
  return 'none';
}

function attestationCn(record) {
  const x = record && record.attestation && record.attestation.x509;
  return (x && typeof x.commonName === 'string' && x.commonName) || '';
}

// ---- search ----

function matches(record, q) {
  const needle = q.toLowerCase();
  return [record.deviceId, record.id, record.enrollmentGroupId, record.individualEnrollmentId, attestationCn(record)].some(
    (v) => typeof v === 'string' && v.toLowerCase().includes(needle),
  );
}

// A whole UUID goes to the server's filters (OR-ed: device id, record id or group id), which
// search every record of the owner; anything else (part of an id, a CN) is matched here on the
// newest MAX_ROWS. {records, capped}: capped when the read stopped at the limit, so older records
// exist that this answer does not hold.
async function fetchRecords(api, q) {
  if (UUID_RE.test(q)) {
    const v = encodeURIComponent(q);
    const found = await api.list(
      `${RECORDS_PATH}?${NEWEST}&deviceIdFilter=${v}&idFilter=${v}&enrollmentGroupIdFilter=${v}`,
    );
    if (found.length) return { records: found, capped: found.length >= MAX_ROWS, searchedAll: true };
  }
  const newest = await api.list(`${RECORDS_PATH}?${NEWEST}`);
  return {
    records: q ? newest.filter((r) => matches(r, q)) : newest,
    capped: newest.length >= MAX_ROWS,
    searchedAll: false,
  };
}

// ---- the page ----

export async function render(main, ctx) {
  const { api } = ctx;
  const state = {
    records: [],
    selectedId: null,
    signature: new Map(), // id -> JSON of the record, to redraw only what changed
    rows: new Map(), // id -> <tr>
    detailSignature: null,
    stopped: false,
    loaded: false,
    capped: false, // the last read stopped at MAX_ROWS: older records exist
    searchedAll: false, // the last read was the server's search of every record
  };

  const searchInput = h('input', {
    type: 'search',
    id: uid('records-search'),
    name: 'q',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'records-search-hint',
  });
  const searchForm = h(
    'form',
    { class: 'search-form', role: 'search', onSubmit: (e) => { e.preventDefault(); refresh(); } },
    h('label', { for: searchInput.id }, 'Search records'),
    searchInput,
    h('p', { class: 'hint', id: 'records-search-hint' }, 'Device id, record id, enrollment group id or the certificate CN; part of one is enough.'),
  );
  const listAlert = h('p', { class: 'error', role: 'alert', hidden: true });
  const countStatus = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const actionStatus = h('p', { class: 'success', role: 'status', hidden: true });
  const empty = h(
    'div',
    { class: 'empty-state', hidden: true },
    h('p', {}, 'No provisioning records yet.'),
    h(
      'p',
      { class: 'hint' },
      'A record appears when a device connects to the device port of dps with a certificate one of your enrollment groups or individual enrollments admits, e.g. ',
      h('code', {}, 'dps-device provision --server HOST:PORT --cert device.pem --key device.key --ca ca.pem'),
      '. A device an enrollment refuses shows here too, with the reason.',
    ),
  );
  const noMatch = h('p', { class: 'empty-state', hidden: true }, 'No record matches the search.');
  const tbody = h('tbody', {});
  const headCells = [
    h('th', { scope: 'col' }, 'Device'),
    h('th', { scope: 'col' }, 'Enrollment'),
    h('th', { scope: 'col' }, 'Created'),
    ...STEPS.map((s) => h('th', { scope: 'col' }, s.label)),
  ];
  const tableEl = h(
    'table',
    { class: 'records-table responsive' },
    h('caption', {}, 'Provisioning records, newest first'),
    h('thead', {}, h('tr', {}, headCells)),
    tbody,
  );
  const tableWrap = h('div', { class: 'table-wrap', hidden: true }, tableEl);
  const detail = h('section', { class: 'record-detail', id: uid('record-detail'), 'aria-label': 'Record detail', hidden: true });

  clear(main);
  main.append(
    h('h1', {}, 'Provisioning records'),
    searchForm,
    countStatus,
    actionStatus,
    listAlert,
    empty,
    noMatch,
    h('div', { class: 'records-layout' }, tableWrap, detail),
  );

  let debounce = null;
  searchInput.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(refresh, 300);
  });

  // ---- rows ----

  function rowCells(record) {
    const device = record.deviceId || '(no device id yet)';
    const selected = record.id === state.selectedId;
    const button = h(
      'button',
      {
        type: 'button',
        class: 'link-button record-open',
        'aria-expanded': selected ? 'true' : 'false',
        'aria-controls': detail.id,
        onClick: () => select(record.id),
      },
      device,
    );
    const cn = attestationCn(record);
    return [
      h('td', { dataset: { label: 'Device' } }, h('div', {}, button, cn ? h('span', { class: 'record-cn' }, `CN ${cn}`) : null)),
      h('td', { dataset: { label: 'Enrollment' } }, h('span', { class: 'mono' }, enrollmentText(record))),
      h('td', { dataset: { label: 'Created' } }, timeEl(creationDate(record), true)),
      ...STEPS.map((s) => h('td', { dataset: { label: s.label, step: s.key } }, stepBadge(s.status(record)))),
    ];
  }

  function drawRows(records) {
    const seen = new Set();
    records.forEach((record, index) => {
      const id = String(record.id);
      seen.add(id);
      const sig = JSON.stringify(record);
      let tr = state.rows.get(id);
      if (!tr) {
        tr = h('tr', { dataset: { id } });
        state.rows.set(id, tr);
      }
      if (state.signature.get(id) !== sig) {
        // Keep the focused button when only the steps changed: replace the other cells.
        const focusedHere = tr.contains(document.activeElement);
        const cells = rowCells(record);
        if (focusedHere && tr.firstChild) {
          while (tr.childNodes.length > 1) tr.removeChild(tr.lastChild);
          const btn = tr.querySelector('button.record-open');
          if (btn) clear(btn).append(record.deviceId || '(no device id yet)');
          tr.append(...cells.slice(1));
        } else {
          clear(tr).append(...cells);
        }
        state.signature.set(id, sig);
      }
      tr.classList.toggle('selected', id === state.selectedId);
      const btn = tr.querySelector('button.record-open');
      if (btn) btn.setAttribute('aria-expanded', id === state.selectedId ? 'true' : 'false');
      // Move only rows that are out of place: moving the focused row would blur it.
      if (tbody.children[index] !== tr) tbody.insertBefore(tr, tbody.children[index] || null);
    });
    for (const [id, tr] of state.rows) {
      if (!seen.has(id)) {
        tr.remove();
        state.rows.delete(id);
        state.signature.delete(id);
      }
    }
  }

  // ---- detail ----

  function select(id) {
    setAlert(actionStatus, '');
    state.selectedId = state.selectedId === id ? null : id;
    state.detailSignature = null;
    drawRows(state.records.slice(0, MAX_ROWS));
    drawDetail(true);
  }

  function drawDetail(moveFocus = false) {
    const record = state.records.find((r) => r.id === state.selectedId);
    if (!state.selectedId) {
      detail.hidden = true;
      clear(detail);
      state.detailSignature = null;
      return;
    }
    if (!record) {
      // Gone (deleted elsewhere) or filtered out by the search: say so, keep the selection.
      const sig = `missing:${state.selectedId}`;
      if (state.detailSignature === sig) return;
      state.detailSignature = sig;
      clear(detail).append(
        h('h2', {}, 'Record'),
        h('p', { class: 'muted' }, `Record ${state.selectedId} is not in the list (deleted, or filtered out by the search).`),
        h('button', { type: 'button', class: 'button', onClick: () => select(state.selectedId) }, 'Close detail'),
      );
      detail.hidden = false;
      return;
    }
    const sig = JSON.stringify(record);
    if (sig === state.detailSignature) return;
    // A refresh must not wipe a pending delete confirmation or move focus out of the detail.
    if (!moveFocus && detail.querySelector('.confirm:not([hidden])')) return;
    const hadFocus = detail.contains(document.activeElement);
    state.detailSignature = sig;
    clear(detail).append(...detailContent(record));
    detail.hidden = false;
    const heading = detail.querySelector('h2');
    if ((moveFocus || hadFocus) && heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }

  function detailContent(record) {
    const out = [];
    out.push(h('h2', {}, `Device ${record.deviceId || '(no device id yet)'}`));
    const summary = recordSummary(record);
    out.push(h('p', { class: ['record-summary', `step-${summary.state}`] }, summary.text));
    out.push(
      dl([
        ['Record id', record.id],
        ['Device id', record.deviceId || '(not yet assigned)'],
        ['Owner', record.owner || ''],
        record.enrollmentGroupId ? ['Enrollment group', record.enrollmentGroupId] : null,
        record.individualEnrollmentId ? ['Individual enrollment', record.individualEnrollmentId] : null,
        ['Created', timeEl(creationDate(record))],
        Array.isArray(record.localEndpoints) && record.localEndpoints.length
          ? ['Local endpoints', record.localEndpoints.map(String).join(', ')]
          : null,
      ]),
    );

    // Steps
    const stepHeaders = ['Step', 'Status', 'CoAP code', 'Time', 'Error message'];
    const stepRow = (id, label, status) => {
      const st = stepState(status);
      const values = [
        h('strong', {}, label),
        stepBadge(status, { withCode: false }),
        st.code || (status ? '' : '—'),
        status ? timeEl(nsToDate(status.date)) : '—',
        st.message || (st.state === 'error' ? '(no message)' : ''),
      ];
      return h(
        'tr',
        { dataset: { id } },
        values.map((v, i) => h('td', { class: i === 4 ? 'error-message' : null, dataset: { label: stepHeaders[i] } }, v)),
      );
    };
    const stepRows = STEPS.map((s) => stepRow(s.key, s.label, s.status(record)));
    const pre = record.preConfiguration;
    if (pre && typeof pre === 'object' && pre.status) stepRows.push(stepRow('preConfiguration', 'Pre-configuration', pre.status));
    out.push(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'steps-table responsive' },
          h('caption', {}, 'Steps'),
          h('thead', {}, h('tr', {}, stepHeaders.map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, stepRows),
        ),
      ),
    );

    // Hub
    const cloud = record.cloud;
    if (cloud && typeof cloud === 'object') {
      const gateways = Array.isArray(cloud.gateways) ? cloud.gateways : [];
      const selected = cloud.selectedGateway;
      let selectedText = 'none';
      if (selected && typeof selected === 'object') selectedText = [selected.uri, selected.id && `(hub ${selected.id})`].filter(Boolean).join(' ');
      else if (typeof selected === 'number' && gateways[selected]) selectedText = String(gateways[selected].uri || '');
      out.push(h('h3', {}, 'Hub'));
      out.push(
        dl([
          cloud.providerName ? ['Authorization provider', cloud.providerName] : null,
          ['Gateways', gateways.map((g) => [g.uri, g.id && `(hub ${g.id})`].filter(Boolean).join(' ')).join(', ') || 'none'],
          ['Sent to', selectedText],
        ]),
      );
    }

    // Certificates
    const att = record.attestation;
    if (att && att.x509 && att.x509.certificatePem) {
      out.push(certificateBlock('Manufacturer certificate (attestation)', att.x509.certificatePem));
    } else if (att && att.tpm && att.tpm.endorsementKeySha256) {
      out.push(h('h3', {}, 'TPM attestation'));
      out.push(dl([['Endorsement key SHA-256', att.tpm.endorsementKeySha256]]));
    }
    const cred = record.credential;
    if (cred && cred.identityCertificatePem) {
      out.push(certificateBlock('Identity certificate (issued)', cred.identityCertificatePem));
    } else {
      out.push(h('h3', {}, 'Identity certificate (issued)'));
      out.push(h('p', { class: 'muted' }, 'None issued yet.'));
    }

    // Hub access token
    out.push(h('h3', {}, 'Hub access token'));
    const token = findJwt(record);
    if (token) {
      let claims = null;
      try {
        claims = decodeJwtClaims(token);
      } catch {
        claims = null;
      }
      if (claims) {
        out.push(h('p', { class: 'hint' }, 'Claims decoded for display; the signature is not verified here.'));
        out.push(dl(Object.entries(claims).map(([k, v]) => [k, claimText(k, v)])));
      } else {
        out.push(h('p', { class: 'muted' }, 'The record holds a token that cannot be decoded.'));
      }
    } else {
      out.push(
        h(
          'p',
          { class: 'muted' },
          'dps does not keep the hub access token in the provisioning record (neither in plgd\'s form nor in dps\'s own): the device received it in its cloud configuration, and only the device has it.',
        ),
      );
    }

    // ACL
    const acl = record.acl && Array.isArray(record.acl.accessControlList) ? record.acl.accessControlList : null;
    if (acl) {
      out.push(h('h3', {}, `Access control list (${acl.length} ${acl.length === 1 ? 'entry' : 'entries'})`));
      out.push(h('pre', { class: 'json' }, JSON.stringify(acl, null, 2)));
    }
    if (pre && typeof pre === 'object' && (pre.updates || pre.results)) {
      out.push(h('h3', {}, 'Pre-configuration'));
      out.push(h('pre', { class: 'json' }, JSON.stringify({ updates: pre.updates, results: pre.results }, null, 2)));
    }

    out.push(deleteControls(record));
    return out;
  }

  function deleteControls(record) {
    const alert = h('p', { class: 'error', role: 'alert', hidden: true });
    const done = h('p', { class: 'success', role: 'status', hidden: true });
    const confirmYes = h('button', { type: 'button', class: 'button danger' }, 'Delete');
    const confirmNo = h('button', { type: 'button', class: 'button' }, 'Cancel');
    const confirm = h(
      'div',
      { class: 'confirm', role: 'group', 'aria-label': 'Confirm deletion', hidden: true },
      h('p', {}, `Delete the record of device ${record.deviceId || record.id}? The device provisions afresh on its next connection.`),
      confirmYes,
      ' ',
      confirmNo,
    );
    const open = h('button', { type: 'button', class: 'button danger' }, 'Delete record');
    open.addEventListener('click', () => {
      confirm.hidden = false;
      open.hidden = true;
      confirmYes.focus();
    });
    confirmNo.addEventListener('click', () => {
      confirm.hidden = true;
      open.hidden = false;
      open.focus();
    });
    confirmYes.addEventListener('click', async () => {
      // Without a filter the API deletes EVERY record of the owner: never send it without one.
      if (!record.id) return;
      confirmYes.disabled = true;
      setAlert(alert, '');
      try {
        await api.del(`${RECORDS_PATH}?idFilter=${encodeURIComponent(record.id)}`);
        state.records = state.records.filter((r) => r.id !== record.id);
        state.selectedId = null;
        show(searchInput.value.trim());
        setAlert(actionStatus, `Deleted the record of device ${record.deviceId || record.id}.`);
        searchInput.focus();
      } catch (e) {
        confirmYes.disabled = false;
        setAlert(alert, e.message || String(e));
      }
    });
    return h('div', { class: 'record-actions' }, open, confirm, alert, done);
  }

  // ---- refresh loop ----

  // The shell gives each navigation a fresh container and aborts ctx.signal on leaving; the hash
  // check is a second guard for a shell that does neither.
  const active = () =>
    !state.stopped &&
    !(ctx.signal && ctx.signal.aborted) &&
    main.isConnected &&
    main.contains(searchForm) &&
    location.hash.startsWith(ROUTE);

  let stopPolling = () => {};
  function stop() {
    if (state.stopped) return;
    state.stopped = true;
    stopPolling();
    clearTimeout(debounce);
    window.removeEventListener('hashchange', onHash);
  }
  function onHash() {
    if (!location.hash.startsWith(ROUTE)) stop();
  }
  window.addEventListener('hashchange', onHash);

  // Resolves true when the records were read (the poll loop backs off on false); never throws.
  let inFlight = null;
  let again = false;
  async function refresh() {
    if (inFlight) {
      again = true; // the search changed mid-request: fetch once more after it
      return inFlight;
    }
    inFlight = (async () => {
      let ok = true;
      do {
        again = false;
        const q = searchInput.value.trim();
        try {
          const { records, capped, searchedAll } = await fetchRecords(api, q);
          if (!active()) return ok;
          if (q !== searchInput.value.trim()) {
            again = true;
            continue;
          }
          records.sort(byNewest);
          state.records = records;
          state.capped = capped;
          state.searchedAll = searchedAll;
          state.loaded = true;
          ok = true;
          setAlert(listAlert, '');
          show(q);
        } catch (e) {
          ok = false;
          if (!active()) return ok;
          setAlert(listAlert, `Cannot read the provisioning records: ${e.message || e}`);
        }
      } while (again && active());
      return ok;
    })();
    try {
      return await inFlight;
    } finally {
      inFlight = null;
    }
  }

  function show(q) {
    const n = state.records.length;
    const nothing = n === 0;
    empty.hidden = !(nothing && !q);
    noMatch.hidden = !(nothing && q);
    tableWrap.hidden = nothing;
    let text = q ? `${n} ${n === 1 ? 'record matches' : 'records match'} “${q}”.` : `${n} ${n === 1 ? 'record' : 'records'}.`;
    if (state.capped && !q) text = `The newest ${n} records. Search for a whole device, record or enrollment group id to find an older one.`;
    else if (state.capped && state.searchedAll) text += ` Showing the newest ${MAX_ROWS}.`;
    else if (state.capped) text += ` Only the newest ${MAX_ROWS} records were searched; a whole device, record or enrollment group id searches them all.`;
    if (countStatus.textContent !== text) setAlert(countStatus, text);
    drawRows(state.records.slice(0, MAX_ROWS));
    drawDetail();
  }

  await refresh();
  if (active()) stopPolling = startPolling({ poll: refresh, interval: REFRESH_MS, active, onStop: stop });
  else stop();
  return stop;
}

// ---- small renderers ----

function dl(pairs) {
  const list = h('dl', { class: 'facts' });
  for (const pair of pairs) {
    if (!pair) continue;
    const [k, v] = pair;
    list.append(h('dt', {}, k), h('dd', {}, v instanceof Node ? v : String(v)));
  }
  return list;
}

function certificateBlock(title, pem) {
  const box = h('div', { class: 'cert-block' }, h('h3', {}, title));
  let certs;
  try {
    certs = parsePemCertificates(pem);
  } catch (e) {
    box.append(h('p', { class: 'error' }, `Cannot decode it: ${e.message}`));
    return box;
  }
  const c = certs[0];
  const now = Date.now();
  let validity = 'valid now';
  if (c.notBefore.getTime() > now) validity = 'not yet valid';
  else if (c.notAfter.getTime() < now) validity = 'expired';
  box.append(
    dl([
      ['Subject', c.subject],
      ['Issuer', c.issuer],
      ['Serial', c.serialHex],
      ['Valid from', timeEl(c.notBefore)],
      ['Valid until', h('span', {}, timeEl(c.notAfter), ` (${validity})`)],
      ['Extended key usage', c.extKeyUsage.length ? c.extKeyUsage.join(', ') : 'none'],
      ['CA', c.isCA ? 'yes' : 'no'],
      certs.length > 1 ? ['Chain', `${certs.length} certificates (the first is shown)`] : null,
    ]),
  );
  return box;
}

// A JWS in compact form: base64url header and claims, both JSON objects (so "eyJ").
const JWT_RE = /^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

// A token, if any field of the record carries one (dps does not store the hub token today; a
// future field would show here). Bounded walk: records are small, but never trust their shape.
function findJwt(value, depth = 0) {
  if (depth > 6 || value === null || value === undefined) return null;
  if (typeof value === 'string') return JWT_RE.test(value) ? value : null;
  if (typeof value !== 'object') return null;
  const entries = Array.isArray(value) ? value : Object.values(value);
  for (const v of entries.slice(0, 200)) {
    const found = findJwt(v, depth + 1);
    if (found) return found;
  }
  return null;
}

function claimText(name, value) {
  if ((name === 'exp' || name === 'iat' || name === 'nbf') && typeof value === 'number') {
    return `${value} (${localIso(new Date(value * 1000))})`;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}
