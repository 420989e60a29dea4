// Building elements without HTML strings. Everything the console shows that came from the
// server (names, CNs, error messages) is untrusted, so it only ever becomes a text node: no
// innerHTML, outerHTML or insertAdjacentHTML anywhere in the console. The CSP (no inline
// scripts or styles) is a second wall, not the first.

// Attributes that are DOM properties (booleans and form state) rather than markup.
const PROPERTIES = new Set(['checked', 'selected', 'disabled', 'hidden', 'value', 'multiple', 'required', 'readOnly']);

let counter = 0;

/** A unique element id with a readable prefix, for <label for> and aria-describedby. */
export function uid(prefix = 'el') {
  counter += 1;
  return `${prefix}-${counter}`;
}

// Where a link may go: http(s) only, judged on the URL as the browser resolves it (so
// "java\tscript:", " javascript:", "JAVASCRIPT:" are seen for what they become, not by how they
// start). Hash routes and relative paths resolve to this page's own (same-origin, https or
// http) address and pass; javascript:, data:, blob: and every other scheme become "#".
function safeHref(value) {
  const text = String(value);
  let url;
  try {
    url = new URL(text, location.href);
  } catch {
    return '#';
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? text : '#';
}

// Attributes that load or submit somewhere, or carry a document: the console builds none from
// data, and a URL in one would skip safeHref.
const URL_ATTRIBUTES = new Set(['src', 'srcset', 'action', 'formaction', 'srcdoc', 'xlink:href', 'poster', 'data', 'background']);

function append(el, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(el, c);
    return;
  }
  if (child instanceof Node) {
    el.appendChild(child);
    return;
  }
  el.appendChild(document.createTextNode(String(child)));
}

/**
 * h('button', {type: 'button', onClick: fn}, 'Save') -> <button type="button">Save</button>.
 * String children become text nodes; arrays are flattened; null/undefined/false are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (/^on[A-Z]/.test(key) && typeof value === 'function') {
      // onClick -> 'click', onDragover -> 'dragover'.
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
    } else if (key === 'for') {
      el.htmlFor = String(value);
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    } else if (key === 'href') {
      el.setAttribute('href', safeHref(value));
    } else if (PROPERTIES.has(key)) {
      el[key] = value === true ? true : value;
    } else if (key === 'style' || key.startsWith('on') || /html/i.test(key) || URL_ATTRIBUTES.has(key.toLowerCase())) {
      // The CSP forbids inline styles and handlers; never write them, or a URL that skips
      // safeHref, by accident.
      throw new Error(`h(): attribute ${key} is not allowed`);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Removes every child of el. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** "No enrollment groups yet." as a paragraph. */
export function emptyState(text) {
  return h('p', { class: 'empty-state' }, text);
}

/** An error sentence announced to screen readers (role="alert"). */
export function errorText(text) {
  return h('p', { class: 'error', role: 'alert' }, text);
}

/** Formats a Date (or date text) for tables: "2026-01-31 12:00 UTC"; '' when absent or invalid. */
export function formatDate(value) {
  if (value === null || value === undefined || value === '') return '';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A labelled control: returns {wrap, input, error, setError(text)}. The error element sits
 * right after the control; setError also sets aria-invalid and aria-describedby on it.
 * opts: {hint} adds a hint paragraph (also in aria-describedby).
 */
export function field(labelText, input, opts = {}) {
  if (!input.id) input.id = uid('f');
  const errorId = uid('err');
  const error = h('p', { class: 'field-error', id: errorId, role: 'alert' });
  const hint = opts.hint ? h('p', { class: 'hint', id: uid('hint') }, opts.hint) : null;
  const described = [hint && hint.id].filter(Boolean);
  if (described.length) input.setAttribute('aria-describedby', described.join(' '));
  const label = h('label', { for: input.id }, labelText);
  const wrap = h('div', { class: ['field', opts.class] }, label, input, hint, error);
  const setError = (text) => {
    clear(error);
    if (text) {
      error.appendChild(document.createTextNode(text));
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', [...described, errorId].join(' '));
    } else {
      input.removeAttribute('aria-invalid');
      if (described.length) input.setAttribute('aria-describedby', described.join(' '));
      else input.removeAttribute('aria-describedby');
    }
  };
  return { wrap, input, label, error, setError };
}

/**
 * Shows an API error: next to the field the message names (fields: [{names: ['hubIds', /^name:/],
 * field: <field()>}]: a string matches when it appears in the message as a whole word, as in
 * the API's "attestationMechanism.x509.certificateChain: ...", a RegExp when it matches), else
 * in formAlert. The first entry that matches wins. Returns the field shown at, or null.
 */
export function showApiError(err, formAlert, fields = []) {
  const message = (err && err.message) || String(err);
  for (const entry of fields) {
    for (const name of entry.names) {
      const re = name instanceof RegExp ? name : new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[.[\]]/g, '\\$&')}($|[^A-Za-z0-9_])`);
      if (re.test(message)) {
        entry.field.setError(message);
        setAlert(formAlert, '');
        return entry.field;
      }
    }
  }
  setAlert(formAlert, message);
  return null;
}

/**
 * Puts text (or nothing) in an existing role="alert"/"status" element. The element stays in
 * the page (CSS hides it while empty) so screen readers keep watching it as a live region.
 */
export function setAlert(el, text) {
  clear(el);
  if (text) el.appendChild(document.createTextNode(text));
  el.hidden = false;
}

/** The largest file the console reads (chains, certificates, CRLs). */
const MAX_FILE_BYTES = 256 * 1024;
const FILE_TOO_LARGE = 'file too large (max 256 KiB)';

/**
 * A file chooser that is also a drop zone: a labelled <input type="file"> (keyboard usable)
 * inside a zone that accepts a dropped file. onText(text, file) gets the file's text once it
 * passed the size check (otherwise the field shows "file too large (max 256 KiB)" and nothing
 * else happens). Returns the field() object plus `zone` (to place) and `read(file)`.
 */
export function fileDropField(labelText, { accept = '.pem,.crt,.cer,.txt', onText, hint } = {}) {
  const input = h('input', { type: 'file', accept });
  const f = field(labelText, input, { hint: hint || 'Choose a file or drop it here.' });
  const zone = h('div', { class: 'drop-zone' }, f.wrap);
  // A dropped file also shows in the input (its name), as a chosen one does.
  const readDropped = (files) => {
    if (!files || !files[0]) return;
    try {
      input.files = files;
    } catch {
      // an old browser: the input keeps showing no file; the file is read all the same
    }
    read(files[0]);
  };
  // app.js hands a file dropped outside every zone to the page's only visible zone.
  zone.dpsReadFiles = readDropped;
  const read = async (file) => {
    f.setError('');
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      f.setError(FILE_TOO_LARGE);
      return;
    }
    let text;
    try {
      text = await file.text();
    } catch (e) {
      f.setError(`cannot read ${file.name}: ${e.message}`);
      return;
    }
    if (onText) await onText(text, file);
  };
  input.addEventListener('change', () => read(input.files && input.files[0]));
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('drag-over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('drag-over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    zone.classList.remove('drag-over');
    readDropped(e.dataTransfer && e.dataTransfer.files);
  });
  return { ...f, zone, read };
}

/** A table with a caption; rows get data-id. columns: [{title, cell(row) -> node|string}]. */
export function table(caption, columns, rows, idOf = (r) => r.id) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'responsive' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.title)))),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h('tr', { dataset: { id: idOf(row) } }, columns.map((c) => h('td', { dataset: { label: c.title } }, c.cell(row)))),
        ),
      ),
    ),
  );
}
