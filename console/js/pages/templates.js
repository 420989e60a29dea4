// Enrollment templates: what the devices of the enrollments naming a template get besides their
// enrollment's provisioning (ACEs, certificate and token lifetimes, pre-configuration). The ACEs
// and the resource updates are edited as JSON in labelled text areas, checked here for being
// JSON of the right shape; the server checks every rule and names the field that breaks one
// (`accessControlList[0].permission: ...`), which is then shown next to that text area.

import { h, clear, field, showApiError, setAlert } from '../dom.js';

const PATH = '/api/v1/enrollment-templates';

const UNITS = { s: 1, m: 60, h: 3600, d: 86400, y: 31536000 };

/** "3600", "90d", "1h" -> seconds; "" -> 0; null when it is neither. */
function parseDuration(text) {
  const t = String(text).trim();
  if (!t) return 0;
  const m = /^(\d{1,12})\s*([smhdy]?)$/i.exec(t);
  if (!m) return null;
  const seconds = Number(m[1]) * (m[2] ? UNITS[m[2].toLowerCase()] : 1);
  return Number.isSafeInteger(seconds) ? seconds : null;
}

/** 7776000 -> "90d" (exact units only), 0 -> "default". */
function durationText(seconds) {
  if (!seconds) return 'default';
  for (const [unit, size] of [['y', 31536000], ['d', 86400], ['h', 3600], ['m', 60]]) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

const ACL_EXAMPLE = '[{"subject": {"role": "operator"}, "resources": [{"href": "/light/1"}], "permission": 6}]';
const PRE_EXAMPLE = '[{"href": "/oic/con", "representation": {"n": "lamp-{{deviceId}}"}}]';

/**
 * The JSON of a text area: undefined when empty, else an array of objects. Throws an Error whose
 * message says what is wrong and where (JSON.parse's position), prefixed with the field's label.
 */
function parseJsonList(text, label, itemName) {
  const t = text.trim();
  if (!t) return undefined;
  let value;
  try {
    value = JSON.parse(t);
  } catch (e) {
    throw new Error(`${label}: not valid JSON (${e.message}).`);
  }
  if (!Array.isArray(value)) {
    throw new Error(`${label}: must be a JSON array of ${itemName}s, [ {...}, ... ]; got ${value === null ? 'null' : typeof value}.`);
  }
  value.forEach((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      throw new Error(`${label}: item ${i} must be a JSON object (an ${itemName}).`);
    }
  });
  return value;
}

export async function render(main, ctx) {
  const { api } = ctx;
  let templates = [];
  let editing = null; // the template being edited, or null when creating

  // ---- form ----

  const title = h('h2', { id: 'template-form-title' }, 'New template');
  const nameInput = h('input', { type: 'text', name: 'name', autocomplete: 'off' });
  const name = field('Name', nameInput, { hint: 'Optional; defaults to the template\u2019s id.' });
  const validityInput = h('input', { type: 'text', name: 'identityCertificateValiditySeconds', inputmode: 'numeric', autocomplete: 'off' });
  const validity = field('Identity certificate validity', validityInput, {
    hint: 'Seconds, or a number with s, m, h, d or y (90d). Empty or 0: the certificate authority\u2019s default. 1h to 10 years.',
  });
  const lifetimeInput = h('input', { type: 'text', name: 'tokenLifetimeSeconds', inputmode: 'numeric', autocomplete: 'off' });
  const lifetime = field('Hub token lifetime', lifetimeInput, {
    hint: 'Of the hub tokens dps mints for the devices. Seconds or 1h, 30d…; empty or 0: the default. 60 s to a year.',
  });
  const aclInput = h('textarea', { rows: 6, spellcheck: 'false', name: 'accessControlList' });
  const acl = field('Access control list (JSON)', aclInput, {
    hint: `A JSON array of at most 32 ACEs, e.g. ${ACL_EXAMPLE}. subject: {"uuid"}, {"conntype": "auth-crypt"|"anon-clear"} or {"role", "authority"}; resources: {"href"} or {"wc": "*"|"+"|"-"}; permission: C=1 R=2 U=4 D=8 N=16.`,
  });
  const preInput = h('textarea', { rows: 6, spellcheck: 'false', name: 'preConfiguration' });
  const pre = field('Pre-configuration (JSON)', preInput, {
    hint: `A JSON array of at most 16 resource updates, e.g. ${PRE_EXAMPLE}. Strings may hold {{deviceId}}, {{owner}} and {{hubId}}.`,
  });
  const formAlert = h('p', { class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Create template');
  const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
  const form = h(
    'form',
    { class: 'card', novalidate: true, hidden: true, 'aria-labelledby': 'template-form-title' },
    title,
    name.wrap,
    validity.wrap,
    lifetime.wrap,
    acl.wrap,
    pre.wrap,
    formAlert,
    h('div', { class: 'form-actions' }, submit, cancel),
  );
  // Most specific first: "accessControlList[0]..." must not be taken for "name".
  const fields = [
    { names: ['accessControlList'], field: acl },
    { names: ['preConfiguration'], field: pre },
    { names: ['identityCertificateValiditySeconds'], field: validity },
    { names: ['tokenLifetimeSeconds'], field: lifetime },
    { names: ['name'], field: name },
  ];

  const listAlert = h('p', { class: 'error', role: 'alert', hidden: true });
  const listStatus = h('p', { class: 'success', role: 'status', hidden: true });
  const listBody = h('div', {});

  clear(main);
  main.append(
    h('h1', {}, 'Templates'),
    h(
      'p',
      { class: 'lead' },
      'A template adds to the provisioning of the devices of every enrollment group or individual enrollment that names it: ACEs beside the ones every device gets, the validity of their identity certificates, the lifetime of their hub tokens, and resource updates they apply after provisioning.',
    ),
    listAlert,
    listStatus,
    listBody,
    form,
  );

  function newButton() {
    return h('button', { type: 'button', class: 'button primary', onClick: startCreate }, 'New template');
  }
  function focusNewButton() {
    const button = listBody.querySelector('.list-actions button');
    if (button) button.focus();
  }
  function startCreate() {
    // Coming from an edit: start empty. Reopening an unsent new template keeps what was typed.
    if (editing) {
      editing = null;
      form.reset();
    }
    clearErrors();
    setAlert(listStatus, '');
    title.textContent = 'New template';
    submit.textContent = 'Create template';
    form.hidden = false;
    nameInput.focus();
  }

  function clearErrors() {
    for (const f of fields) f.field.setError('');
    setAlert(formAlert, '');
  }

  function startEdit(t) {
    editing = t;
    clearErrors();
    setAlert(listStatus, '');
    title.textContent = `Edit template ${t.name || t.id}`;
    submit.textContent = 'Save template';
    form.hidden = false;
    nameInput.value = t.name || '';
    validityInput.value = t.identityCertificateValiditySeconds ? durationText(t.identityCertificateValiditySeconds) : '';
    lifetimeInput.value = t.tokenLifetimeSeconds ? durationText(t.tokenLifetimeSeconds) : '';
    aclInput.value = Array.isArray(t.accessControlList) ? JSON.stringify(t.accessControlList, null, 2) : '';
    preInput.value = Array.isArray(t.preConfiguration) ? JSON.stringify(t.preConfiguration, null, 2) : '';
    form.scrollIntoView({ block: 'start' });
    nameInput.focus();
  }

  function stopEdit() {
    editing = null;
    form.reset();
    clearErrors();
    form.hidden = true;
  }
  cancel.addEventListener('click', () => {
    // Cancelling an edit drops it; cancelling a new template only hides what was typed.
    if (editing) stopEdit();
    else form.hidden = true;
    focusNewButton();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors();
    setAlert(listStatus, '');
    const body = {};
    const problems = [];
    const check = (f, fn) => {
      try {
        return fn();
      } catch (e) {
        f.setError(e.message);
        problems.push(f);
        return undefined;
      }
    };
    if (nameInput.value.trim()) body.name = nameInput.value.trim();
    const v = check(validity, () => {
      const s = parseDuration(validityInput.value);
      if (s === null) throw new Error('Identity certificate validity: give seconds (3600) or a number with s, m, h, d or y (90d).');
      return s;
    });
    if (v) body.identityCertificateValiditySeconds = v;
    const l = check(lifetime, () => {
      const s = parseDuration(lifetimeInput.value);
      if (s === null) throw new Error('Hub token lifetime: give seconds (3600) or a number with s, m, h, d or y (1h).');
      return s;
    });
    if (l) body.tokenLifetimeSeconds = l;
    const aces = check(acl, () => parseJsonList(aclInput.value, 'Access control list (JSON)', 'ACE'));
    if (aces && aces.length) body.accessControlList = aces;
    const updates = check(pre, () => parseJsonList(preInput.value, 'Pre-configuration (JSON)', 'resource update'));
    if (updates && updates.length) body.preConfiguration = updates;
    if (problems.length) {
      const first = problems[0];
      (first.input || nameInput).focus();
      return;
    }
    submit.disabled = true;
    try {
      let saved;
      if (editing) {
        saved = await api.put(`${PATH}/${encodeURIComponent(editing.id)}`, body);
      } else {
        saved = await api.post(PATH, body);
      }
      const verb = editing ? 'Saved' : 'Created';
      stopEdit();
      // Announced once the list shows it: the notice and the table agree.
      await load(saved && saved.id);
      setAlert(listStatus, `${verb} template ${saved && (saved.name || saved.id)}.`);
      focusNewButton();
    } catch (e) {
      const at = showApiError(e, formAlert, fields);
      if (at && at.input) at.input.focus();
    } finally {
      submit.disabled = false;
    }
  });

  // ---- list ----

  function actions(t) {
    const label = t.name || t.id;
    const edit = h('button', { type: 'button', class: 'button small', 'aria-label': `Edit ${label}` }, 'Edit');
    edit.addEventListener('click', () => startEdit(t));
    const del = h('button', { type: 'button', class: 'button small danger', 'aria-label': `Delete ${label}` }, 'Delete');
    const yes = h('button', { type: 'button', class: 'button small danger' }, 'Delete');
    const no = h('button', { type: 'button', class: 'button small' }, 'Cancel');
    const confirm = h('div', { class: 'confirm', role: 'group', 'aria-label': `Confirm deleting ${label}`, hidden: true }, h('span', {}, `Delete ${label}?`), ' ', yes, ' ', no);
    del.addEventListener('click', () => {
      confirm.hidden = false;
      del.hidden = true;
      edit.hidden = true;
      yes.focus();
    });
    no.addEventListener('click', () => {
      confirm.hidden = true;
      del.hidden = false;
      edit.hidden = false;
      del.focus();
    });
    yes.addEventListener('click', async () => {
      if (!t.id) return;
      yes.disabled = true;
      setAlert(listAlert, '');
      setAlert(listStatus, '');
      try {
        await api.del(`${PATH}?idFilter=${encodeURIComponent(t.id)}`);
        if (editing && editing.id === t.id) stopEdit();
        await load();
        setAlert(listStatus, `Deleted template ${label}.`);
      } catch (e) {
        // 409: a group still names it; the API's message says which.
        setAlert(listAlert, `Template ${label} was not deleted: ${e.message || e}`);
        yes.disabled = false;
        no.click();
      }
    });
    return h('div', { class: 'actions' }, edit, del, confirm);
  }

  function draw(highlightId) {
    clear(listBody);
    if (!templates.length) {
      listBody.append(h('p', { class: 'empty-state' }, 'No templates yet.'), h('div', { class: 'form-actions list-actions' }, newButton()));
      return;
    }
    listBody.append(h('div', { class: 'form-actions list-actions' }, newButton()));
    const headers = ['Name', 'ACEs', 'Certificate validity', 'Token lifetime', 'Pre-configuration', 'Actions'];
    const tbody = h('tbody', {});
    for (const t of templates) {
      const values = [
        h('span', {}, t.name || t.id),
        String(Array.isArray(t.accessControlList) ? t.accessControlList.length : 0),
        durationText(t.identityCertificateValiditySeconds),
        durationText(t.tokenLifetimeSeconds),
        Array.isArray(t.preConfiguration) && t.preConfiguration.length
          ? t.preConfiguration.map((u) => String(u.href)).join(', ')
          : 'none',
        actions(t),
      ];
      tbody.append(
        h(
          'tr',
          { dataset: { id: t.id }, class: t.id === highlightId ? 'selected' : null },
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
          h('caption', {}, 'Enrollment templates'),
          h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
          tbody,
        ),
      ),
    );
  }

  async function load(highlightId) {
    try {
      templates = await api.list(PATH);
      setAlert(listAlert, '');
      draw(highlightId);
    } catch (e) {
      setAlert(listAlert, `Cannot read the templates: ${e.message || e}`);
    }
  }

  await load();
}
