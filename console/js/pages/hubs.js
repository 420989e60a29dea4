// "Hubs": where provisioned devices connect, which CA signs their identity certificates and how
// they get tokens. Enrollment groups name hubs by hubId.

import { h, clear, emptyState, setAlert, field, showApiError, table, uid } from '../dom.js';
import { putFresh } from '../objects.js';

const HUBS = '/api/v1/hubs';
const DEFAULT_OWNER_CLAIM = 'https://plgd.dev/owner';

function hubLabel(hub) {
  return hub.name || hub.hubId || hub.id;
}

function caText(hub) {
  const address = hub.certificateAuthority && hub.certificateAuthority.grpc && hub.certificateAuthority.grpc.address;
  return address ? `plgd CA at ${address}` : 'Built-in CA';
}

function tokensText(hub) {
  const provider = hub.authorization && hub.authorization.provider;
  return provider && provider.authority ? `OAuth2: ${provider.authority}` : 'Built-in tokens';
}

export async function render(main, ctx) {
  const { api } = ctx;
  const state = { hubs: [], editingId: null };

  const listAlert = h('p', { class: 'error', role: 'alert' });
  const listStatus = h('p', { class: 'success', role: 'status' });
  const listRegion = h('div', {});
  const panelRegion = h('div', {});
  main.append(
    h('h1', {}, 'Hubs'),
    h('p', { class: 'lead' }, 'A hub is where provisioned devices connect. Enrollment groups name hubs by their hub ID.'),
    listAlert,
    listStatus,
    listRegion,
    panelRegion,
  );

  // A failed read is said once, here (not thrown on to the shell, which would say it again).
  async function load() {
    try {
      state.hubs = await api.list(HUBS);
    } catch (e) {
      setAlert(listAlert, `Cannot list hubs: ${e.message}`);
      return;
    }
    renderList();
  }

  const newButton = () => h('button', { type: 'button', class: 'button primary', onClick: () => openForm(null) }, 'New hub');

  function renderList() {
    clear(listRegion);
    if (state.hubs.length === 0) {
      listRegion.append(emptyState('No hubs yet.'), newButton());
      return;
    }
    const columns = [
      { title: 'Name', cell: (x) => x.name || '—' },
      { title: 'Hub ID', cell: (x) => h('span', { class: 'mono' }, x.hubId) },
      { title: 'Gateways', cell: (x) => h('ul', { class: 'plain-list' }, (x.gateways || []).map((g) => h('li', { class: 'mono' }, g))) },
      { title: 'Certificate authority', cell: caText },
      { title: 'Tokens', cell: tokensText },
      { title: 'Actions', cell: (x) => rowActions(x) },
    ];
    listRegion.append(h('div', { class: 'form-actions list-actions' }, newButton()), table('Hubs', columns, state.hubs));
    for (const row of listRegion.querySelectorAll('tbody tr')) row.classList.toggle('selected', row.dataset.id === state.editingId);
  }

  function rowActions(hub) {
    const label = hubLabel(hub);
    if (hub.managedBy === 'configFile') return h('span', { class: 'badge' }, 'config file');
    return h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'button small', 'aria-label': `Edit ${label}`, onClick: () => openForm(hub.id) }, 'Edit'),
      h('button', { type: 'button', class: 'button small danger', 'aria-label': `Delete ${label}`, onClick: (e) => remove(hub.id, e.currentTarget) }, 'Delete'),
    );
  }

  async function remove(id, button) {
    const hub = state.hubs.find((x) => x.id === id);
    if (!hub) return;
    setAlert(listAlert, '');
    setAlert(listStatus, '');
    if (!window.confirm(`Delete hub "${hubLabel(hub)}"?`)) return;
    button.disabled = true;
    try {
      await api.del(`${HUBS}?idFilter=${encodeURIComponent(id)}`);
      state.hubs = state.hubs.filter((x) => x.id !== id);
      if (state.editingId === id) closeForm();
      renderList();
      setAlert(listStatus, `Hub “${hubLabel(hub)}” deleted.`);
    } catch (e) {
      setAlert(listAlert, e.message);
      button.disabled = false;
    }
  }

  function closeForm() {
    state.editingId = null;
    clear(panelRegion);
    renderList();
  }

  function openForm(id) {
    setAlert(listStatus, '');
    const hub = id ? state.hubs.find((x) => x.id === id) : null;
    state.editingId = hub ? hub.id : null;
    renderList();
    const form = hubForm(hub);
    clear(panelRegion).append(form);
    form.querySelector('input').focus();
  }

  function radio(name, value, labelText, checked) {
    const input = h('input', { type: 'radio', name, value, id: uid(name), checked });
    return { input, wrap: h('div', { class: 'choice' }, input, h('label', { for: input.id }, labelText)) };
  }

  function hubForm(hub) {
    const editing = Boolean(hub);
    const provider = (hub && hub.authorization && hub.authorization.provider) || {};
    const grpcAddress = (hub && hub.certificateAuthority && hub.certificateAuthority.grpc && hub.certificateAuthority.grpc.address) || '';
    const formAlert = h('p', { class: 'error', role: 'alert' });
    const formStatus = h('p', { class: 'success', role: 'status' });
    const groupName = uid('hub');

    const hubIdField = field('Hub ID', h('input', { type: 'text', name: 'hubId', autocomplete: 'off', spellcheck: 'false', class: 'mono', value: hub ? hub.hubId : '' }), {
      hint: 'A UUID: the hub\u2019s id (the CN of its certificate in plgd). Left empty, dps uses the record id.',
    });
    const nameField = field('Name', h('input', { type: 'text', name: 'name', autocomplete: 'off', value: hub ? hub.name || '' : '' }));
    const gatewaysField = field('Gateways', h('textarea', { name: 'gateways', rows: 3, spellcheck: 'false', value: hub ? (hub.gateways || []).join('\n') : '' }), {
      hint: 'One per line, e.g. coaps+tcp://hub.example.com:5684 (a value without a scheme gets coaps+tcp://).',
    });

    const caBuiltin = radio(`${groupName}-ca`, 'builtin', 'Built-in CA', !grpcAddress);
    const caGrpc = radio(`${groupName}-ca`, 'grpc', 'plgd certificate authority (gRPC)', Boolean(grpcAddress));
    const caAddressField = field('CA address', h('input', { type: 'text', name: 'caAddress', autocomplete: 'off', spellcheck: 'false', value: grpcAddress }), { hint: 'host:port of the hub\u2019s certificate-authority service.' });
    const caSub = h('div', { class: 'subfields' }, caAddressField.wrap);

    const oauth = Boolean(provider.authority);
    const tokBuiltin = radio(`${groupName}-tokens`, 'builtin', 'Built-in tokens', !oauth);
    const tokOauth = radio(`${groupName}-tokens`, 'oauth', 'OAuth2 client credentials', oauth);
    const text = (name, value, extra = {}) => h('input', { type: 'text', name, autocomplete: 'off', spellcheck: 'false', value: value || '', ...extra });
    const providerNameField = field('Provider name', text('providerName', provider.name || 'plgd'), { hint: 'Sent to devices as the token provider\u2019s name.' });
    const authorityField = field('Authority', text('authority', provider.authority, { type: 'url' }), { hint: 'http(s):// URL of the OAuth2 server.' });
    const clientIdField = field('Client ID', text('clientId', provider.clientId));
    const clientSecretField = field('Client secret', h('input', { type: 'password', name: 'clientSecret', autocomplete: 'new-password', value: provider.clientSecret || '' }));
    const scopesField = field('Scopes', text('scopes', (provider.scopes || []).join(' ')), { hint: 'Space-separated.' });
    const audienceField = field('Audience', text('audience', provider.audience));
    const tokSub = h('div', { class: 'subfields' }, providerNameField.wrap, authorityField.wrap, clientIdField.wrap, clientSecretField.wrap, scopesField.wrap, audienceField.wrap);

    const ownerClaimField = field('Owner claim', text('ownerClaim', (hub && hub.authorization && hub.authorization.ownerClaim) || DEFAULT_OWNER_CLAIM), {
      hint: 'The claim of the hub\u2019s tokens that holds the device\u2019s owner.',
    });

    const sync = () => {
      caSub.hidden = !caGrpc.input.checked;
      tokSub.hidden = !tokOauth.input.checked;
    };
    for (const r of [caBuiltin, caGrpc, tokBuiltin, tokOauth]) r.input.addEventListener('change', sync);
    sync();

    const fields = [
      { names: ['hubId'], field: hubIdField },
      { names: ['gateways'], field: gatewaysField },
      { names: ['certificateAuthority'], field: caAddressField },
      { names: ['ownerClaim'], field: ownerClaimField },
      { names: ['provider.name'], field: providerNameField },
      { names: ['authority'], field: authorityField },
      { names: ['clientId'], field: clientIdField },
      { names: ['clientSecret'], field: clientSecretField },
      { names: ['scopes'], field: scopesField },
      { names: ['audience'], field: audienceField },
      { names: [/^name:/], field: nameField },
    ];

    const submitButton = h('button', { type: 'submit', class: 'button primary' }, editing ? 'Save hub' : 'Create hub');
    const titleId = uid('title');
    const form = h(
      'form',
      { class: 'card hub-form', novalidate: true, 'aria-labelledby': titleId, onSubmit: (e) => submit(e) },
      h('h2', { id: titleId }, editing ? `Hub ${hubLabel(hub)}` : 'New hub'),
      editing ? h('p', { class: 'hint mono' }, `ID ${hub.id}`) : null,
      formAlert,
      hubIdField.wrap,
      nameField.wrap,
      gatewaysField.wrap,
      h('fieldset', {}, h('legend', {}, 'Certificate authority'), caBuiltin.wrap, caGrpc.wrap, caSub),
      h('fieldset', {}, h('legend', {}, 'Tokens'), tokBuiltin.wrap, tokOauth.wrap, tokSub),
      ownerClaimField.wrap,
      h('div', { class: 'form-actions' }, submitButton, h('button', { type: 'button', class: 'button', onClick: () => closeForm() }, 'Cancel')),
      formStatus,
    );

    async function submit(event) {
      event.preventDefault();
      for (const f of fields) f.field.setError('');
      setAlert(formAlert, '');
      setAlert(formStatus, '');
      const gateways = gatewaysField.input.value.split('\n').map((g) => g.trim()).filter(Boolean);
      let problem = false;
      if (gateways.length === 0) {
        gatewaysField.setError('at least one gateway, e.g. coaps+tcp://hub.example.com:5684');
        problem = true;
      }
      if (caGrpc.input.checked && !caAddressField.input.value.trim()) {
        caAddressField.setError('the CA service\u2019s host:port');
        problem = true;
      }
      if (!ownerClaimField.input.value.trim()) {
        ownerClaimField.setError('required, e.g. https://plgd.dev/owner');
        problem = true;
      }
      if (tokOauth.input.checked) {
        for (const [f, what] of [
          [authorityField, 'the OAuth2 server\u2019s URL'],
          [clientIdField, 'required with an authority'],
          [clientSecretField, 'required with an authority'],
          [providerNameField, 'required with an authority'],
        ]) {
          if (!f.input.value.trim()) {
            f.setError(what);
            problem = true;
          }
        }
      }
      if (problem) {
        const first = form.querySelector('[aria-invalid="true"]');
        if (first) first.focus();
        return;
      }

      // What the form shows, set on the hub as stored now (read again just before the PUT, which
      // replaces the whole hub): what the form does not show (TLS settings, deviceIdClaim), and
      // changes made elsewhere since the page was drawn, survive.
      const applyForm = (body) => {
        const hubId = hubIdField.input.value.trim();
        if (hubId) body.hubId = hubId;
        else delete body.hubId;
        body.name = nameField.input.value.trim();
        body.gateways = gateways;
        if (caGrpc.input.checked) {
          const ca = body.certificateAuthority || {};
          body.certificateAuthority = { ...ca, grpc: { ...(ca.grpc || {}), address: caAddressField.input.value.trim() } };
        } else {
          delete body.certificateAuthority;
        }
        const authorization = { ...(body.authorization || {}), ownerClaim: ownerClaimField.input.value.trim() };
        const stored = authorization.provider || {};
        if (tokOauth.input.checked) {
          authorization.provider = {
            ...stored,
            name: providerNameField.input.value.trim(),
            authority: authorityField.input.value.trim(),
            clientId: clientIdField.input.value.trim(),
            clientSecret: clientSecretField.input.value,
            scopes: scopesField.input.value.split(/[\s,]+/).filter(Boolean),
            audience: audienceField.input.value.trim(),
          };
        } else {
          // Built-in tokens: dps mints them; keep only what still applies (name, audience).
          const kept = {};
          if (stored.name) kept.name = stored.name;
          if (stored.audience) kept.audience = stored.audience;
          if (Object.keys(kept).length) authorization.provider = kept;
          else delete authorization.provider;
        }
        body.authorization = authorization;
      };

      submitButton.disabled = true;
      ctx.setBusy(true);
      try {
        let saved;
        if (editing) {
          saved = await putFresh(api, HUBS, hub.id, 'hub', applyForm);
        } else {
          const body = {};
          applyForm(body);
          saved = await api.post(HUBS, body);
        }
        state.hubs = [...state.hubs.filter((x) => x.id !== saved.id), saved].sort((a, b) => (a.id < b.id ? -1 : 1));
        state.editingId = null;
        clear(panelRegion);
        renderList();
        setAlert(listStatus, `Hub “${hubLabel(saved)}” ${editing ? 'saved' : 'created'}.`);
      } catch (e) {
        const at = showApiError(e, formAlert, fields);
        if (at && at.input) at.input.focus();
      } finally {
        submitButton.disabled = false;
        ctx.setBusy(false);
      }
    }

    return form;
  }

  await load();
}
