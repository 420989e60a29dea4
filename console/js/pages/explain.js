// "Explain": what dps would do with a device certificate, and why (POST /api/v1/explain). The
// answer's shape may still grow: every field is optional here, and unknown ones are ignored.

import { h, clear, setAlert, field, fileDropField, showApiError, formatDate, uid } from '../dom.js';
import { splitPem } from '../pem.js';

const EXPLAIN = '/api/v1/explain';

// The API's camelCase words as text: kinds (enrollmentGroup, individualEnrollment) and refusals
// (noGroup, notVerified, wrongExtendedKeyUsage, ...; docs/openapi.yaml, Explanation): "no group".
function words(code) {
  return String(code).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function asText(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map(asText).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function facts(rows) {
  const present = rows.filter(([, v]) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0));
  return h('dl', { class: 'facts' }, present.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v instanceof Node ? v : asText(v))]));
}

export async function render(main, ctx) {
  const { api } = ctx;
  const formAlert = h('p', { class: 'error', role: 'alert' });
  const result = h('section', { class: 'explain-result', 'aria-live': 'polite' });

  const pasteField = field('Or paste the chain', h('textarea', { name: 'certificateChain', rows: 7, spellcheck: 'false', class: 'pem' }), {
    hint: 'The device\u2019s certificate first, then the intermediates it sends (PEM).',
  });
  const fileField = fileDropField('Device certificate (PEM)', {
    hint: 'Choose the device\u2019s certificate (and its intermediates) or drop the file here; it fills the box below.',
    onText: (text) => {
      try {
        splitPem(text);
      } catch (e) {
        fileField.setError(e.message);
        return;
      }
      pasteField.input.value = text;
      pasteField.setError('');
    },
  });
  const submitButton = h('button', { type: 'submit', class: 'button primary' }, 'Explain');
  const form = h(
    'form',
    { class: 'card', novalidate: true, onSubmit: (e) => submit(e) },
    formAlert,
    fileField.zone,
    pasteField.wrap,
    h('div', { class: 'form-actions' }, submitButton),
  );

  main.append(
    h('h1', {}, 'Explain'),
    h('p', { class: 'lead' }, 'Would dps admit a device with this certificate? Which enrollment, and why not the others? Nothing is provisioned.'),
    h('div', { class: 'explain-layout' }, form, result),
  );

  async function submit(event) {
    event.preventDefault();
    setAlert(formAlert, '');
    fileField.setError('');
    pasteField.setError('');
    const text = pasteField.input.value;
    if (!text.trim()) {
      pasteField.setError('choose the device certificate (PEM) or paste it');
      pasteField.input.focus();
      return;
    }
    try {
      splitPem(text);
    } catch (e) {
      pasteField.setError(e.message);
      pasteField.input.focus();
      return;
    }
    submitButton.disabled = true;
    ctx.setBusy(true);
    try {
      const answer = await api.post(EXPLAIN, { certificateChain: text });
      showAnswer(answer || {});
    } catch (e) {
      clear(result);
      const at = showApiError(e, formAlert, [{ names: ['certificateChain'], field: pasteField }]);
      if (at) at.input.focus();
    } finally {
      submitButton.disabled = false;
      ctx.setBusy(false);
    }
  }

  function showAnswer(answer) {
    clear(result);
    const admitted = answer.admitted === true;
    const enrollment = answer.enrollment || {};
    const verdictId = uid('verdict');
    const verdict = admitted
      ? `Admitted by ${words(enrollment.kind)} ${enrollment.name || enrollment.id || ''}`.trim()
      : `Refused: ${answer.refusal ? words(answer.refusal) : 'no enrollment admits this certificate'}`;
    result.setAttribute('aria-labelledby', verdictId);
    const heading = h('h2', { id: verdictId, tabindex: '-1', class: ['verdict', admitted ? 'ok' : 'refused'] }, verdict);
    result.append(heading);
    heading.focus({ preventScroll: false });
    if (answer.reason) result.append(h('p', { class: 'reason' }, answer.reason));
    if (admitted && enrollment.id) {
      result.append(h('p', { class: 'hint' }, `${words(enrollment.kind)} id `, h('span', { class: 'mono' }, enrollment.id)));
    }
    if (Array.isArray(answer.overlapping) && answer.overlapping.length) {
      result.append(
        h('p', {}, 'Other groups that would admit it too but lose to the more specific one: ', h('span', { class: 'mono' }, answer.overlapping.map(asText).join(', '))),
      );
    }

    const cert = answer.certificate;
    if (cert && typeof cert === 'object') {
      result.append(
        h('h3', {}, 'Certificate'),
        facts([
          ['Common name', cert.commonName],
          ['Subject', cert.subject],
          ['Issuer', cert.issuer],
          ['Serial number', cert.serialNumber ? h('span', { class: 'mono' }, cert.serialNumber) : ''],
          ['Valid from', formatDate(cert.notBefore)],
          ['Valid until', formatDate(cert.notAfter)],
          ['Public key SHA-256', cert.publicKeySha256 ? h('span', { class: 'mono' }, cert.publicKeySha256) : ''],
          ['Extended key usage', cert.extendedKeyUsage && cert.extendedKeyUsage.length ? cert.extendedKeyUsage : 'none'],
        ]),
      );
    }

    // scope is always "owner" (docs/openapi.yaml): another owner's enrollments are never read.
    result.append(h('p', { class: 'hint' }, 'Scope: only your own enrollments were considered.'));

    const candidates = Array.isArray(answer.candidates) ? answer.candidates : [];
    if (candidates.length === 0) {
      result.append(h('h3', {}, 'Candidates'), h('p', { class: 'empty-state' }, 'No enrollment was a candidate for this certificate.'));
      return;
    }
    result.append(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'responsive' },
          h('caption', {}, 'Candidates'),
          h('thead', {}, h('tr', {}, ['Kind', 'Name', 'ID', 'Admits', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            {},
            candidates.map((c) =>
              h(
                'tr',
                { dataset: { id: c.id || '' } },
                h('td', { dataset: { label: 'Kind' } }, words(c.kind)),
                h('td', { dataset: { label: 'Name' } }, asText(c.name)),
                h('td', { dataset: { label: 'ID' }, class: 'mono' }, asText(c.id)),
                h(
                  'td',
                  { dataset: { label: 'Admits' } },
                  c.admits === true ? h('span', { class: 'badge ok' }, 'yes') : h('span', { class: 'badge danger' }, c.refusal ? `no: ${words(c.refusal)}` : 'no'),
                ),
                h('td', { dataset: { label: 'Reason' } }, asText(c.reason)),
              ),
            ),
          ),
        ),
      ),
    );
  }
}
