// Individual enrollments: one device each, named by its certificate's public key. The list pages
// through the API (`limit` and `after`, ordered by id) since an owner may hold a million; the
// form creates one from a device certificate. The certificate is decoded here only to show what
// was pasted (CN, issuer, key hash): the server checks it again and stores only the key's hash.

import { h, clear, uid, field, fileDropField, showApiError, setAlert } from '../dom.js';
import { hubName, hubPicker } from '../hubpicker.js';
import { putFresh } from '../objects.js';
import { parsePemCertificates, sha256Hex } from '../pem.js';

const PATH = '/api/v1/individual-enrollments';
const PAGE_SIZE = 50;

function describeError(e) {
  return (e && e.message) || String(e);
}

/** The device a stored enrollment names, as short text. */
function deviceText(enrollment) {
  const am = enrollment.attestationMechanism || {};
  const hash = typeof am.publicKeySha256 === 'string' ? am.publicKeySha256 : '';
  const key = hash ? `key ${hash.slice(0, 16)}…` : '';
  if (am.x509 && typeof am.x509.certificate === 'string') {
    try {
      const [cert] = parsePemCertificates(am.x509.certificate);
      return [`CN ${cert.subjectCN || cert.subject || '(none)'}`, key].filter(Boolean).join(', ');
    } catch {
      return ['certificate', key].filter(Boolean).join(', ');
    }
  }
  if (am.tpm) return ['TPM endorsement key', key].filter(Boolean).join(', ');
  return key || 'unknown';
}

export async function render(main, ctx) {
  const { api } = ctx;
  let hubs = [];
  let templates = [];
  // Paging: the `after` of each page shown so far (page 1 starts at '').
  const pageStarts = [''];
  let page = 0;
  let rows = [];
  let hasNext = false;

  // ---- the form ----

  const certInput = h('textarea', { rows: 8, spellcheck: 'false', autocomplete: 'off', name: 'certificate' });
  const cert = field('Device certificate (PEM)', certInput, {
    hint: 'The device\u2019s own certificate, "-----BEGIN CERTIFICATE-----" …; a chain may follow it, only the first certificate counts. Only its public key names the device.',
  });
  const certFacts = h('div', { class: 'cert-preview', 'aria-live': 'polite' });
  const file = fileDropField('Certificate file', {
    accept: '.pem,.crt,.cer,.txt',
    hint: 'Or choose (or drop) a PEM file: it fills the field above. At most 256 KiB.',
    onText: (text) => {
      certInput.value = text;
      cert.setError('');
      preview();
    },
  });
  const nameInput = h('input', { type: 'text', name: 'name', autocomplete: 'off' });
  const name = field('Name', nameInput, { hint: 'Optional; defaults to the enrollment\u2019s id.' });
  const hubsField = hubPicker({ hint: 'The hubs the device is sent to, in this order. At least one unless the enrollment is disabled.' });
  const templateSelect = h('select', { name: 'templateId' });
  const template = field('Template', templateSelect, { hint: 'Extra ACEs, lifetimes and pre-configuration for this device (see Templates).' });
  const disabledBox = h('input', { type: 'checkbox', id: uid('disabled'), name: 'disabled' });
  const disabledField = h(
    'div',
    { class: 'choice' },
    disabledBox,
    h('label', { for: disabledBox.id }, 'Disabled: refuse this device (even when one of your groups admits it)'),
  );
  const formAlert = h('p', { class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Create enrollment');
  const cancel = h('button', { type: 'button', class: 'button', onClick: () => closeForm(true) }, 'Cancel');
  const form = h(
    'form',
    { class: 'card', novalidate: true, hidden: true, 'aria-labelledby': 'individual-create-title' },
    h('h2', { id: 'individual-create-title' }, 'New individual enrollment'),
    cert.wrap,
    certFacts,
    file.zone,
    name.wrap,
    hubsField.wrap,
    template.wrap,
    disabledField,
    formAlert,
    h('div', { class: 'form-actions' }, submit, cancel),
  );
  const fields = [
    { names: ['attestationMechanism', 'x509', 'certificate', 'publicKeySha256'], field: cert },
    { names: ['hubIds'], field: hubsField },
    { names: ['templateId'], field: template },
    { names: ['name'], field: name },
  ];

  // ---- the list ----

  const listAlert = h('p', { class: 'error', role: 'alert', hidden: true });
  const listStatus = h('p', { class: 'success', role: 'status', hidden: true });
  const listBody = h('div', {});
  const prevButton = h('button', { type: 'button', class: 'button', onClick: () => goPage(page - 1) }, 'Previous page');
  const nextButton = h('button', { type: 'button', class: 'button', onClick: () => goPage(page + 1) }, 'Next page');
  const pageLabel = h('span', { class: 'muted' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Individual enrollment pages' }, prevButton, pageLabel, nextButton);

  clear(main);
  main.append(
    h('h1', {}, 'Individual enrollments'),
    h(
      'p',
      { class: 'lead' },
      'An individual enrollment names one device by its public key. It wins over your enrollment groups for that device: it admits a device no group admits, sends it to other hubs, or, disabled, refuses it.',
    ),
    listAlert,
    listStatus,
    listBody,
    pager,
    form,
  );

  function newButton() {
    return h('button', { type: 'button', class: 'button primary', onClick: openForm }, 'New individual enrollment');
  }
  function openForm() {
    setAlert(listStatus, '');
    form.hidden = false;
    certInput.focus();
  }
  // Hiding keeps what was typed (reopening shows it again); only a created enrollment resets it.
  function closeForm(focusList) {
    form.hidden = true;
    if (focusList) {
      const button = listBody.querySelector('.list-actions button');
      if (button) button.focus();
    }
  }

  // ---- preview of the pasted certificate ----

  let previewSeq = 0;
  async function preview() {
    const mine = ++previewSeq;
    const text = certInput.value.trim();
    clear(certFacts);
    if (!text) return;
    let c;
    try {
      [c] = parsePemCertificates(text);
    } catch (e) {
      certFacts.append(h('p', { class: 'hint' }, `Cannot read it yet: ${e.message}`));
      return;
    }
    let keyHash = '';
    try {
      keyHash = await sha256Hex(c.spki);
    } catch {
      keyHash = '(needs a secure context)';
    }
    if (mine !== previewSeq) return;
    certFacts.append(
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Subject'),
        h('dd', {}, c.subject || '(empty)'),
        h('dt', {}, 'Issuer'),
        h('dd', {}, c.issuer || '(empty)'),
        h('dt', {}, 'Valid until'),
        h('dd', {}, c.notAfter.toISOString()),
        h('dt', {}, 'Key SHA-256'),
        h('dd', { class: 'mono' }, keyHash),
      ),
    );
  }
  let previewTimer = null;
  certInput.addEventListener('input', () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 250);
  });

  function fillChoices() {
    hubsField.setHubs(hubs);
    const selected = templateSelect.value;
    clear(templateSelect).append(h('option', { value: '' }, '(no template)'));
    for (const t of templates) templateSelect.append(h('option', { value: t.id }, t.name || t.id));
    templateSelect.value = templates.some((t) => t.id === selected) ? selected : '';
  }

  async function loadChoices() {
    const [hubList, templateList] = await Promise.all([
      api.list('/api/v1/hubs'),
      api.list('/api/v1/enrollment-templates'),
    ]);
    hubs = hubList;
    templates = templateList;
    fillChoices();
  }

  // ---- create ----

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const f of fields) f.field.setError('');
    setAlert(formAlert, '');
    const text = certInput.value.trim();
    if (!text) {
      cert.setError('Paste the device certificate (PEM) or choose its file.');
      certInput.focus();
      return;
    }
    try {
      parsePemCertificates(text);
    } catch (e) {
      cert.setError(`Device certificate (PEM): ${e.message}`);
      certInput.focus();
      return;
    }
    const hubIds = hubsField.selected();
    const body = { attestationMechanism: { x509: { certificate: text } }, disabled: disabledBox.checked };
    if (nameInput.value.trim()) body.name = nameInput.value.trim();
    if (hubIds.length) body.hubIds = hubIds;
    if (templateSelect.value) body.templateId = templateSelect.value;
    submit.disabled = true;
    try {
      const created = await api.post(PATH, body);
      form.reset();
      clear(certFacts);
      fillChoices();
      closeForm(false);
      // Announced once the list shows it: the notice and the table agree.
      await loadPage(page, created && created.id);
      setAlert(listStatus, `Enrolled ${created && created.name ? created.name : 'the device'} (id ${created && created.id}).`);
      const button = listBody.querySelector('.list-actions button');
      if (button) button.focus();
    } catch (e) {
      const at = showApiError(e, formAlert, fields);
      if (at && at.wrap) {
        const control = at.input || at.wrap.querySelector('input, select, textarea');
        if (control) control.focus();
      }
    } finally {
      submit.disabled = false;
    }
  });

  // ---- list, paging, actions ----

  function templateName(id) {
    if (!id) return 'none';
    const t = templates.find((x) => x.id === id);
    return t ? t.name || t.id : `${id} (not found)`;
  }

  function actions(enrollment) {
    const label = enrollment.name || enrollment.id;
    const toggle = h(
      'button',
      { type: 'button', class: 'button small', 'aria-label': `${enrollment.disabled ? 'Enable' : 'Disable'} ${label}` },
      enrollment.disabled ? 'Enable' : 'Disable',
    );
    toggle.addEventListener('click', async () => {
      toggle.disabled = true;
      setAlert(listAlert, '');
      setAlert(listStatus, '');
      // What the button said, set on the enrollment as stored now (read again just before the
      // PUT, which replaces every field): hubs or a template changed elsewhere meanwhile stay.
      const disabled = !enrollment.disabled;
      try {
        await putFresh(api, PATH, enrollment.id, 'individual enrollment', (body) => {
          body.disabled = disabled;
        });
        await loadPage(page, enrollment.id);
        setAlert(listStatus, `${disabled ? 'Disabled' : 'Enabled'} ${label}.`);
      } catch (e) {
        setAlert(listAlert, `${label}: ${describeError(e)}`);
        toggle.disabled = false;
      }
    });
    const del = h('button', { type: 'button', class: 'button small danger', 'aria-label': `Delete ${label}` }, 'Delete');
    const yes = h('button', { type: 'button', class: 'button small danger' }, 'Delete');
    const no = h('button', { type: 'button', class: 'button small' }, 'Cancel');
    const confirm = h('div', { class: 'confirm', role: 'group', 'aria-label': `Confirm deleting ${label}`, hidden: true }, h('span', {}, `Delete ${label}?`), ' ', yes, ' ', no);
    del.addEventListener('click', () => {
      confirm.hidden = false;
      del.hidden = true;
      toggle.hidden = true;
      yes.focus();
    });
    no.addEventListener('click', () => {
      confirm.hidden = true;
      del.hidden = false;
      toggle.hidden = false;
      del.focus();
    });
    yes.addEventListener('click', async () => {
      if (!enrollment.id) return;
      yes.disabled = true;
      setAlert(listAlert, '');
      setAlert(listStatus, '');
      try {
        await api.del(`${PATH}?idFilter=${encodeURIComponent(enrollment.id)}`);
        await loadPage(page);
        setAlert(listStatus, `Deleted ${label}.`);
      } catch (e) {
        setAlert(listAlert, `${label}: ${describeError(e)}`);
        yes.disabled = false;
      }
    });
    return h('div', { class: 'actions' }, toggle, del, confirm);
  }

  function drawList(highlightId) {
    clear(listBody);
    if (!rows.length) {
      listBody.append(
        h('p', { class: 'empty-state' }, page === 0 ? 'No individual enrollments yet.' : 'No more enrollments on this page.'),
        h('div', { class: 'form-actions list-actions' }, newButton()),
      );
    } else {
      listBody.append(h('div', { class: 'form-actions list-actions' }, newButton()));
      const headers = ['Name', 'Device', 'Hubs', 'Template', 'State', 'Actions'];
      const tbody = h('tbody', {});
      for (const e of rows) {
        const hubsText = Array.isArray(e.hubIds) && e.hubIds.length ? e.hubIds.map((id) => hubName(hubs, id)).join(', ') : 'none';
        const values = [
          h('span', {}, e.name || e.id),
          h('span', { class: 'mono' }, deviceText(e)),
          hubsText,
          templateName(e.templateId),
          h('span', { class: ['badge', e.disabled ? 'danger' : 'ok'] }, e.disabled ? 'disabled' : 'enabled'),
          actions(e),
        ];
        tbody.append(
          h(
            'tr',
            { dataset: { id: e.id }, class: e.id === highlightId ? 'selected' : null },
            values.map((v, i) => h('td', { dataset: { label: headers[i] } }, v)),
          ),
        );
      }
      listBody.append(
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'responsive' },
            h('caption', {}, `Individual enrollments, page ${page + 1}`),
            h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
            tbody,
          ),
        ),
      );
    }
    prevButton.disabled = page === 0;
    nextButton.disabled = !hasNext;
    pageLabel.textContent = `Page ${page + 1}`;
    pager.hidden = page === 0 && !hasNext;
  }

  async function loadPage(n, highlightId) {
    const after = pageStarts[n] || '';
    // One more than a page tells whether a next page exists.
    const query = `?limit=${PAGE_SIZE + 1}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
    try {
      const list = await api.list(`${PATH}${query}`);
      hasNext = list.length > PAGE_SIZE;
      rows = list.slice(0, PAGE_SIZE);
      page = n;
      if (hasNext) pageStarts[n + 1] = rows[rows.length - 1].id;
      if (!rows.length && n > 0) {
        // The last enrollment of a later page was deleted: go back one.
        return loadPage(n - 1, highlightId);
      }
      drawList(highlightId);
    } catch (e) {
      setAlert(listAlert, `Cannot read the individual enrollments: ${describeError(e)}`);
    }
    return undefined;
  }

  async function goPage(n) {
    if (n < 0 || n >= pageStarts.length) return;
    await loadPage(n);
    const caption = listBody.querySelector('caption');
    if (caption) {
      caption.setAttribute('tabindex', '-1');
      caption.focus();
    }
  }

  try {
    await loadChoices();
  } catch (e) {
    setAlert(formAlert, `Cannot read your hubs and templates: ${describeError(e)}`);
  }
  await loadPage(0);
}
