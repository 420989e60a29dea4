// "Enrollment groups": the list, the create/edit form (chain parsed in the browser so the
// operator picks the lead certificate, hubs, proof of possession) and, per group, disabling,
// deleting and revocation (serials or key hashes, and a CRL).

import { h, clear, emptyState, setAlert, field, fileDropField, showApiError, table, formatDate, uid } from '../dom.js';
import { hubName, hubPicker } from '../hubpicker.js';
import { putFresh } from '../objects.js';
import { parsePemCertificates } from '../pem.js';

const GROUPS = '/api/v1/enrollment-groups';
const HUBS = '/api/v1/hubs';
const CODES = '/api/v1/enrollment-groups/verification-codes';

function mechanismOf(group) {
  const am = group.attestationMechanism || {};
  if (am.x509) return { kind: 'x509', chain: am.x509.certificateChain || '', lead: am.x509.leadCertificateName || '', expired: Boolean(am.x509.expiredCertificateEnabled) };
  if (am.tpm) return { kind: 'tpm', chain: am.tpm.vendorCertificateChain || '', lead: am.tpm.leadCertificateName || '', expired: Boolean(am.tpm.expiredCertificateEnabled) };
  return { kind: 'unknown', chain: '', lead: '', expired: false };
}

function groupLabel(group) {
  return group.name || group.id;
}

/** Two revocation entries (hex, colons allowed) name the same certificate or key. */
function sameEntry(a, b) {
  const norm = (x) => x.replace(/:/g, '').toLowerCase();
  return norm(a) === norm(b);
}

/** The two openssl commands that make the verification certificate with the lead's key. */
function proofCommands(code) {
  const serial = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
  return [
    `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout verification.key -subj "/CN=${code}" -out verification.csr`,
    `openssl x509 -req -in verification.csr -CA lead.pem -CAkey lead.key -set_serial 0x${serial} -days 1 -out verification.pem`,
  ];
}

export async function render(main, ctx) {
  const { api } = ctx;
  const state = { groups: [], hubs: [], panel: null };

  const listAlert = h('p', { class: 'error', role: 'alert' });
  const listStatus = h('p', { class: 'success', role: 'status' });
  const listRegion = h('div', { class: 'list-region' });
  const panelRegion = h('div', { class: 'panel-region' });
  main.append(
    h('h1', {}, 'Enrollment groups'),
    h('p', { class: 'lead' }, 'An enrollment group admits the devices whose manufacturer certificate chains to its lead certificate, and sends them to its hubs.'),
    listAlert,
    listStatus,
    listRegion,
    panelRegion,
  );

  // A failed read is said once, here (not thrown on to the shell, which would say it again).
  async function load() {
    try {
      const [groups, hubs] = await Promise.all([api.list(GROUPS), api.list(HUBS)]);
      state.groups = groups;
      state.hubs = hubs;
    } catch (e) {
      setAlert(listAlert, `Cannot list enrollment groups: ${e.message}`);
      return;
    }
    renderList();
  }

  function newButton() {
    return h('button', { type: 'button', class: 'button primary', onClick: () => openCreate() }, 'New enrollment group');
  }

  function renderList() {
    clear(listRegion);
    if (state.groups.length === 0) {
      listRegion.append(emptyState('No enrollment groups yet.'), newButton());
      return;
    }
    const columns = [
      { title: 'Name', cell: (g) => h('span', { class: 'name' }, groupLabel(g)) },
      { title: 'ID', cell: (g) => h('span', { class: 'mono' }, g.id) },
      {
        title: 'Lead certificate',
        cell: (g) => {
          const m = mechanismOf(g);
          return [m.lead, m.kind === 'tpm' ? [' ', h('span', { class: 'badge' }, 'TPM')] : null];
        },
      },
      {
        title: 'Hubs',
        cell: (g) => ((g.hubIds || []).length ? h('ul', { class: 'plain-list' }, (g.hubIds || []).map((id) => h('li', {}, hubName(state.hubs, id)))) : '—'),
      },
      { title: 'Disabled', cell: (g) => (g.disabled ? h('span', { class: 'badge danger' }, 'yes') : 'no') },
      { title: 'Actions', cell: (g) => rowActions(g) },
    ];
    listRegion.append(
      h('div', { class: 'form-actions list-actions' }, newButton()),
      table('Enrollment groups', columns, state.groups),
    );
    markSelected();
  }

  function markSelected() {
    for (const row of listRegion.querySelectorAll('tbody tr')) {
      row.classList.toggle('selected', Boolean(state.panel && state.panel.id === row.dataset.id));
    }
  }

  function rowActions(group) {
    const label = groupLabel(group);
    if (group.managedBy === 'configFile') {
      return h('div', { class: 'actions' }, h('span', { class: 'badge' }, 'config file'), h('button', { type: 'button', class: 'button small', 'aria-label': `View ${label}`, onClick: () => openEdit(group.id) }, 'View'));
    }
    return h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'button small', 'aria-label': `Edit ${label}`, onClick: () => openEdit(group.id) }, 'Edit'),
      h(
        'button',
        { type: 'button', class: 'button small', 'aria-label': `${group.disabled ? 'Enable' : 'Disable'} ${label}`, onClick: (e) => toggleDisabled(group.id, e.currentTarget) },
        group.disabled ? 'Enable' : 'Disable',
      ),
      h('button', { type: 'button', class: 'button small danger', 'aria-label': `Delete ${label}`, onClick: (e) => remove(group.id, e.currentTarget) }, 'Delete'),
    );
  }

  function findGroup(id) {
    return state.groups.find((g) => g.id === id);
  }

  /**
   * PUTs the group as stored now (read again first) with change(body) applied: only the fields
   * the action is about. Updates the list; returns the group as now stored.
   */
  async function putGroup(id, change) {
    const stored = await putFresh(api, GROUPS, id, 'enrollment group', change);
    state.groups = state.groups.map((g) => (g.id === id ? stored : g));
    renderList();
    return stored;
  }

  async function toggleDisabled(id, button) {
    const group = findGroup(id);
    if (!group) return;
    setAlert(listAlert, '');
    setAlert(listStatus, '');
    button.disabled = true;
    // What the button said: "Disable" sets disabled, whatever another tab did meanwhile.
    const disabled = !group.disabled;
    try {
      const stored = await putGroup(id, (body) => {
        body.disabled = disabled;
      });
      setAlert(listStatus, `Enrollment group “${groupLabel(stored)}” ${stored.disabled ? 'disabled: it admits no device' : 'enabled'}.`);
      if (state.panel && state.panel.id === id) state.panel.refresh();
    } catch (e) {
      setAlert(listAlert, e.message);
    } finally {
      button.disabled = false;
    }
  }

  async function remove(id, button) {
    const group = findGroup(id);
    if (!group) return;
    setAlert(listAlert, '');
    setAlert(listStatus, '');
    if (!window.confirm(`Delete enrollment group "${groupLabel(group)}"? Its devices will no longer be admitted.`)) return;
    button.disabled = true;
    try {
      await api.del(`${GROUPS}?idFilter=${encodeURIComponent(id)}`);
      state.groups = state.groups.filter((g) => g.id !== id);
      if (state.panel && state.panel.id === id) closePanel();
      renderList();
      setAlert(listStatus, `Enrollment group “${groupLabel(group)}” deleted.`);
    } catch (e) {
      setAlert(listAlert, e.message);
      button.disabled = false;
    }
  }

  function closePanel() {
    state.panel = null;
    clear(panelRegion);
    markSelected();
  }

  function openCreate() {
    setAlert(listStatus, '');
    state.panel = { id: null, refresh: () => {} };
    clear(panelRegion).append(groupForm(null));
    markSelected();
    panelRegion.querySelector('input').focus();
  }

  function openEdit(id) {
    setAlert(listStatus, '');
    const group = findGroup(id);
    if (!group) return;
    const revocation = h('div', {});
    const refresh = () => {
      const latest = findGroup(id);
      if (latest) clear(revocation).append(revocationSection(latest));
    };
    state.panel = { id, refresh };
    clear(panelRegion).append(groupForm(group), revocation);
    refresh();
    markSelected();
    const heading = panelRegion.querySelector('h2');
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }

  // ---------- the create / edit form ----------

  function groupForm(group) {
    const editing = Boolean(group);
    const readOnly = editing && group.managedBy === 'configFile';
    const mech = editing ? mechanismOf(group) : { kind: 'x509', chain: '', lead: '', expired: false };
    const formAlert = h('p', { class: 'error', role: 'alert' });
    const formStatus = h('p', { class: 'success', role: 'status' });
    const chain = { text: '', certs: [], changed: false, stored: '' };
    const proof = { code: '', certificate: '' };

    const nameField = field('Name', h('input', { type: 'text', name: 'name', autocomplete: 'off', value: editing ? group.name || '' : '' }), {
      hint: editing ? null : 'Defaults to the group id.',
    });

    // Certificates of the chain, and the lead certificate chosen among them.
    const certList = h('div', { class: 'cert-list' });
    const leadSelect = h('select', { name: 'leadCertificateName' });
    const leadField = field('Lead certificate', leadSelect, { hint: 'The CA certificate of the chain that issues your devices\u2019 certificates.' });
    const chainField = fileDropField('Certificate chain (PEM)', {
      hint: editing ? 'Choose or drop a file to replace the chain (a new chain needs a new proof of possession); leave it to keep the current one.' : 'The manufacturer\u2019s chain: the intermediate(s), then the self-signed root. Choose a file or drop it here.',
      onText: (text) => useChain(text, true),
    });

    function showCerts(certs, selected) {
      clear(certList);
      clear(leadSelect);
      if (!certs.length) {
        leadSelect.append(h('option', { value: '' }, 'Choose a chain first'));
        leadSelect.disabled = true;
        return;
      }
      certList.append(
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'responsive' },
            h('caption', {}, 'Certificates in the chain'),
            h('thead', {}, h('tr', {}, ['#', 'Subject CN', 'Issuer CN', 'Valid from', 'Valid until', 'CA'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              {},
              certs.map((c, i) =>
                h(
                  'tr',
                  { dataset: { serial: c.serialHex } },
                  h('td', { dataset: { label: '#' } }, String(i + 1)),
                  h('td', { dataset: { label: 'Subject CN' } }, c.subjectCN || c.subject || '—'),
                  h('td', { dataset: { label: 'Issuer CN' } }, c.issuerCN || c.issuer || '—', c.selfSigned ? ' (self-signed)' : ''),
                  h('td', { dataset: { label: 'Valid from' } }, formatDate(c.notBefore)),
                  h('td', { dataset: { label: 'Valid until' } }, formatDate(c.notAfter), c.notAfter < new Date() ? [' ', h('span', { class: 'badge danger' }, 'expired')] : null),
                  h('td', { dataset: { label: 'CA' } }, c.isCA ? 'yes' : 'no'),
                ),
              ),
            ),
          ),
        ),
      );
      const seen = new Set();
      let firstCa = '';
      for (const c of certs) {
        if (!c.subjectCN || seen.has(c.subjectCN)) continue;
        seen.add(c.subjectCN);
        if (c.isCA && !firstCa) firstCa = c.subjectCN;
        leadSelect.append(h('option', { value: c.subjectCN, disabled: !c.isCA }, c.isCA ? c.subjectCN : `${c.subjectCN} (not a CA)`));
      }
      leadSelect.disabled = readOnly;
      leadSelect.value = selected && seen.has(selected) ? selected : firstCa;
    }

    function useChain(text, fromFile) {
      chainField.setError('');
      let certs;
      try {
        certs = parsePemCertificates(text);
      } catch (e) {
        chainField.setError(e.message);
        return;
      }
      chain.text = certs.map((c) => c.pem).join('');
      chain.certs = certs;
      // The stored chain, chosen again, is no change: it needs no new proof.
      if (!fromFile) chain.stored = chain.text;
      chain.changed = fromFile && chain.text !== chain.stored;
      showCerts(certs, chain.changed ? '' : mech.lead);
      if (fromFile && !certs.some((c) => c.isCA)) {
        chainField.setError('no certificate of this file is a CA: enroll the CA that issues your devices\u2019 certificates, not a device certificate');
      }
      updateProofVisibility();
    }

    // Hubs: checkboxes of the owner's hubs, in the group's priority order first.
    const hubsField = hubPicker({ hint: 'Devices get the checked hubs in this order.', readOnly });
    hubsField.setHubs(state.hubs, editing ? group.hubIds || [] : []);

    const expiredBox = h('input', { type: 'checkbox', name: 'expiredCertificateEnabled', id: uid('expired'), checked: mech.expired, disabled: readOnly });
    const expiredError = h('p', { class: 'field-error', role: 'alert' });
    const expiredField = { setError: (text) => setAlert(expiredError, text) };

    // Proof of possession: a code from dps, signed by the lead certificate's key elsewhere.
    const codeRegion = h('div', { class: 'code-region', 'aria-live': 'polite' });
    const proofAlert = h('p', { class: 'error', role: 'alert' });
    const codeButton = h('button', { type: 'button', class: 'button', onClick: () => getCode() }, 'Get verification code');
    const verField = fileDropField('Verification certificate (PEM)', {
      hint: 'The certificate the commands above wrote (verification.pem).',
      onText: (text) => {
        try {
          parsePemCertificates(text);
        } catch (e) {
          verField.setError(e.message);
          proof.certificate = '';
          return;
        }
        proof.certificate = text;
      },
    });
    const proofFieldset = h(
      'fieldset',
      { class: 'proof' },
      h('legend', {}, 'Proof of possession'),
      h('p', { class: 'hint' }, 'dps admits devices of a CA only for whoever holds its key. Get a single-use code, sign a certificate whose subject CN is the code with the lead certificate\u2019s private key (it never leaves your machine), then choose that certificate here.'),
      h('div', { class: 'form-actions' }, codeButton),
      proofAlert,
      codeRegion,
      verField.zone,
    );

    async function getCode() {
      setAlert(proofAlert, '');
      codeButton.disabled = true;
      try {
        const answer = await api.post(CODES, {});
        proof.code = answer.code;
        const lead = leadSelect.value || 'the lead certificate';
        const commands = proofCommands(answer.code);
        const copyStatus = h('span', { class: 'hint', role: 'status' });
        clear(codeRegion).append(
          h('p', {}, 'Verification code: ', h('code', { class: 'code-box', id: uid('code') }, answer.code)),
          h('p', { class: 'hint' }, `Valid until ${formatDate(answer.expiresAt)}, once.`),
          h('p', {}, `Where the key of ${lead} is, with lead.pem being that certificate and lead.key its private key, run:`),
          h('pre', {}, h('code', { class: 'commands' }, commands.join('\n'))),
          h(
            'div',
            { class: 'form-actions' },
            h(
              'button',
              {
                type: 'button',
                class: 'button small',
                onClick: async () => {
                  try {
                    await navigator.clipboard.writeText(commands.join('\n'));
                    setAlert(copyStatus, 'Copied.');
                  } catch {
                    setAlert(copyStatus, 'Copying is not allowed here: select the commands and copy them.');
                  }
                },
              },
              'Copy commands',
            ),
            copyStatus,
          ),
        );
        codeButton.textContent = 'Get a new verification code';
      } catch (e) {
        setAlert(proofAlert, e.message);
      } finally {
        codeButton.disabled = false;
      }
    }

    function needsProof() {
      if (!editing) return true;
      return chain.changed || (leadSelect.value && leadSelect.value !== mech.lead);
    }
    function updateProofVisibility() {
      proofFieldset.hidden = readOnly || !needsProof();
    }
    leadSelect.addEventListener('change', updateProofVisibility);

    const submitButton = h('button', { type: 'submit', class: 'button primary' }, editing ? 'Save group' : 'Create group');
    const cancelButton = h('button', { type: 'button', class: 'button', onClick: () => closePanel() }, editing ? 'Close' : 'Cancel');
    const titleId = uid('title');
    const form = h(
      'form',
      { class: 'card group-form', novalidate: true, 'aria-labelledby': titleId, onSubmit: (e) => submit(e) },
      h('h2', { id: titleId }, editing ? `Enrollment group ${groupLabel(group)}` : 'New enrollment group'),
      readOnly ? h('p', { class: 'hint' }, 'This group is defined in dps\u2019s config file: change it there and restart dps.') : null,
      editing ? h('p', { class: 'hint mono' }, `ID ${group.id}`) : null,
      formAlert,
      nameField.wrap,
      mech.kind === 'tpm' ? h('p', {}, 'TPM group: vendor CA ', h('strong', {}, mech.lead)) : readOnly ? null : chainField.zone,
      certList,
      mech.kind === 'tpm' ? null : leadField.wrap,
      hubsField.wrap,
      h('div', { class: 'field choice' }, expiredBox, h('label', { for: expiredBox.id }, 'Expired certificates allowed'), expiredError),
      proofFieldset,
      h('div', { class: 'form-actions' }, readOnly ? null : submitButton, cancelButton),
      formStatus,
    );
    if (readOnly) nameField.input.readOnly = true;

    if (editing && mech.chain) useChain(mech.chain, false);
    else showCerts([], '');
    updateProofVisibility();

    const fields = [
      { names: ['proofOfPossession.code', 'proofOfPossession.certificate', 'proofOfPossession'], field: verField },
      { names: ['leadCertificateName'], field: leadField },
      { names: ['certificateChain', 'vendorCertificateChain', 'attestationMechanism'], field: chainField },
      { names: ['hubIds'], field: hubsField },
      { names: ['expiredCertificateEnabled'], field: expiredField },
      { names: [/^name:/], field: nameField },
    ];

    async function submit(event) {
      event.preventDefault();
      for (const f of fields) f.field.setError('');
      setAlert(formAlert, '');
      setAlert(formStatus, '');
      const hubIds = hubsField.selected();
      let problem = false;
      if (!editing && !chain.text) {
        chainField.setError('choose the certificate chain (PEM) file');
        problem = true;
      }
      if (mech.kind !== 'tpm' && chain.text && !leadSelect.value) {
        leadField.setError('choose the lead certificate: a CA certificate of the chain');
        problem = true;
      }
      if (hubIds.length === 0) {
        hubsField.setError('check at least one hub');
        problem = true;
      }
      const proving = needsProof();
      if (proving && !proof.code) {
        setAlert(proofAlert, 'get a verification code first, then sign the verification certificate with it');
        problem = true;
      } else if (proving && !proof.certificate) {
        verField.setError('choose the verification certificate (PEM) signed with the lead certificate\u2019s key');
        problem = true;
      }
      if (problem) {
        const first = form.querySelector('[aria-invalid="true"], .field-error:not(:empty)');
        if (first) (first.matches('input, select, textarea') ? first : form).scrollIntoView({ block: 'center' });
        return;
      }
      const name = nameField.input.value.trim();
      const proofOfPossession = proving ? { code: proof.code, certificate: proof.certificate } : null;
      // Save sets what this form shows on the group as stored now (read again just before the
      // PUT): revocations, a CRL or a disabled flag set elsewhere since the page was drawn stay.
      const applyForm = (body) => {
        body.name = name;
        body.hubIds = hubIds;
        const am = body.attestationMechanism || {};
        if (am.tpm) {
          am.tpm.expiredCertificateEnabled = expiredBox.checked;
        } else {
          am.x509 = { ...(am.x509 || {}), expiredCertificateEnabled: expiredBox.checked };
          if (chain.changed) am.x509.certificateChain = chain.text;
          // The lead only when chosen here (it needs the proof then): an unchanged choice must not
          // put back a lead someone else changed since.
          if (leadSelect.value && (chain.changed || leadSelect.value !== mech.lead)) am.x509.leadCertificateName = leadSelect.value;
        }
        body.attestationMechanism = am;
        if (proofOfPossession) body.proofOfPossession = proofOfPossession;
      };
      submitButton.disabled = true;
      ctx.setBusy(true);
      try {
        let stored;
        if (editing) {
          stored = await putFresh(api, GROUPS, group.id, 'enrollment group', applyForm);
        } else {
          const body = {
            attestationMechanism: { x509: { certificateChain: chain.text, leadCertificateName: leadSelect.value, expiredCertificateEnabled: expiredBox.checked } },
            hubIds,
          };
          if (name) body.name = name;
          if (proofOfPossession) body.proofOfPossession = proofOfPossession;
          stored = await api.post(GROUPS, body);
        }
        if (editing) {
          state.groups = state.groups.map((g) => (g.id === stored.id ? stored : g));
          renderList();
          setAlert(formStatus, `Enrollment group “${groupLabel(stored)}” saved.`);
          if (proving) {
            // The code is used up: a further chain change needs a new one.
            proof.code = '';
            proof.certificate = '';
            clear(codeRegion);
            mech.chain = stored.attestationMechanism?.x509?.certificateChain || chain.text;
            mech.lead = stored.attestationMechanism?.x509?.leadCertificateName || leadSelect.value;
            chain.stored = chain.text;
            chain.changed = false;
            updateProofVisibility();
          }
          state.panel.refresh();
        } else {
          state.groups = [...state.groups.filter((g) => g.id !== stored.id), stored].sort((a, b) => (a.id < b.id ? -1 : 1));
          closePanel();
          renderList();
          setAlert(listStatus, `Enrollment group “${groupLabel(stored)}” created.`);
        }
      } catch (e) {
        const at = showApiError(e, formAlert, fields);
        if (at && at.input) at.input.focus();
        else formAlert.scrollIntoView({ block: 'center' });
      } finally {
        submitButton.disabled = false;
        ctx.setBusy(false);
      }
    }

    return form;
  }

  // ---------- revocation ----------

  function revocationSection(group) {
    const readOnly = group.managedBy === 'configFile';
    const revoked = group.revokedCertificates || [];
    const alert = h('p', { class: 'error', role: 'alert' });
    const status = h('p', { class: 'success', role: 'status' });

    const entryField = field('Serial number or public key SHA-256', h('input', { type: 'text', name: 'revoked', autocomplete: 'off', spellcheck: 'false', class: 'mono' }), {
      hint: 'The device certificate\u2019s serial number in hex (colons allowed), or the SHA-256 (hex) of its public key.',
    });
    const fromCert = fileDropField('Device certificate to revoke (PEM)', {
      hint: 'Optional: choose the device\u2019s certificate to fill in its serial number.',
      onText: (text) => {
        try {
          const [leaf] = parsePemCertificates(text);
          entryField.input.value = leaf.serialHex;
          entryField.input.focus();
        } catch (e) {
          fromCert.setError(e.message);
        }
      },
    });
    const revokeButton = h('button', { type: 'submit', class: 'button danger' }, 'Revoke');
    const revokeTitle = uid('revoke');

    // One PUT of the group as stored now with change(body) applied (see putGroup); an error goes
    // next to errorField when given, else above the section.
    async function write(change, okText, button, errorField) {
      setAlert(alert, '');
      setAlert(status, '');
      if (errorField) errorField.setError('');
      if (button) button.disabled = true;
      try {
        await putGroup(group.id, change);
        state.panel.refresh();
        // refresh() rebuilt this section: announce in the new one.
        const fresh = panelRegion.querySelector('.revocation [role="status"]');
        if (fresh) setAlert(fresh, okText);
        return true;
      } catch (e) {
        if (errorField) errorField.setError(e.message);
        else setAlert(alert, e.message);
        if (button) button.disabled = false;
        return false;
      }
    }

    const revokeForm = h(
      'form',
      {
        novalidate: true,
        'aria-labelledby': revokeTitle,
        onSubmit: async (event) => {
          event.preventDefault();
          entryField.setError('');
          const value = entryField.input.value.trim();
          if (!value) {
            entryField.setError('enter a serial number or a public key SHA-256');
            entryField.input.focus();
            return;
          }
          if (!/^[0-9a-fA-F:]+$/.test(value)) {
            entryField.setError('hex digits only (colons allowed)');
            entryField.input.focus();
            return;
          }
          if (revoked.some((r) => sameEntry(r, value))) {
            entryField.setError('already revoked');
            return;
          }
          await write(
            (body) => {
              // Added to the list as stored now: entries revoked elsewhere meanwhile stay.
              const now = body.revokedCertificates || [];
              if (!now.some((r) => sameEntry(r, value))) body.revokedCertificates = [...now, value];
            },
            `Revoked ${value}: devices with it are refused from their next connection.`,
            revokeButton,
            entryField,
          );
        },
      },
      h('h3', { id: revokeTitle }, 'Revoke certificate'),
      entryField.wrap,
      fromCert.zone,
      h('div', { class: 'form-actions' }, revokeButton),
    );

    const list = revoked.length
      ? h(
          'ul',
          { class: 'plain revoked-list' },
          revoked.map((entry) =>
            h(
              'li',
              { dataset: { entry } },
              h('code', {}, entry),
              readOnly
                ? null
                : h(
                    'button',
                    {
                      type: 'button',
                      class: 'button small',
                      'aria-label': `Remove ${entry}`,
                      onClick: (e) =>
                        write(
                          (body) => {
                            body.revokedCertificates = (body.revokedCertificates || []).filter((r) => r !== entry);
                          },
                          `Removed ${entry} from the revoked certificates.`,
                          e.currentTarget,
                        ),
                    },
                    'Remove',
                  ),
            ),
          ),
        )
      : emptyState('No revoked certificates.');

    const crlField = fileDropField('CRL (PEM)', {
      accept: '.pem,.crl,.txt',
      hint: 'The manufacturer\u2019s certificate revocation list(s), PEM. Replaces the current one.',
      onText: async (text) => {
        if (!/-----BEGIN X509 CRL-----/.test(text)) {
          crlField.setError('not a PEM CRL (-----BEGIN X509 CRL-----)');
          return;
        }
        await write(
          (body) => {
            body.crl = text;
          },
          'CRL saved: devices it lists are refused.',
          null,
          crlField,
        );
      },
    });
    const removeCrl = (button) =>
      write(
        (body) => {
          body.crl = '';
        },
        'CRL removed.',
        button,
      );
    const crlState = group.crl
      ? h(
          'div',
          { class: 'form-actions' },
          h('span', {}, `A CRL is set (${group.crl.length} characters).`),
          readOnly ? null : h('button', { type: 'button', class: 'button small', onClick: (e) => removeCrl(e.currentTarget) }, 'Remove CRL'),
        )
      : emptyState('No CRL.');

    return h(
      'section',
      { class: 'card revocation', 'aria-labelledby': `${revokeTitle}-h` },
      h('h2', { id: `${revokeTitle}-h` }, 'Revocation'),
      alert,
      status,
      readOnly ? null : revokeForm,
      h('h3', {}, 'Revoked certificates'),
      list,
      h('h3', {}, 'Certificate revocation list'),
      crlState,
      readOnly ? null : crlField.zone,
    );
  }

  await load();
}
