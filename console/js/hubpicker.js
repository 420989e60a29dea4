// The hubs an enrollment (group or individual) sends its devices to: the owner's hubs as
// checkboxes, and hub ids shown by name in lists. Shared by the two enrollment pages.

import { h, clear, uid } from './dom.js';

/** A hub id as people know it: the hub's name (else its id); an id of no hub as itself. */
export function hubName(hubs, hubId) {
  const hub = hubs.find((x) => x.hubId === hubId);
  return hub ? hub.name || hub.hubId : hubId;
}

/**
 * A fieldset "Hubs" of checkboxes (name="hubIds", value = hubId, label "<name> (<hubId>)"), the
 * selected hubs first in their priority order, then the owner's other hubs. A selected id that
 * is no hub of the owner shows as "(no such hub) <id>", so saving does not drop it silently.
 * Returns {wrap, setHubs(hubs, selected?), selected(), setError(text)}: setHubs without
 * `selected` keeps what is checked now; setError puts text next to the fieldset (as
 * dom.field()'s does, aria-invalid and aria-describedby included) for dom.showApiError.
 */
export function hubPicker({ hint, readOnly = false } = {}) {
  const hintEl = h('p', { class: 'hint', id: uid('hint') }, hint);
  const list = h('div', { class: 'hub-choices' });
  const error = h('p', { class: 'field-error', id: uid('err'), role: 'alert' });
  const wrap = h('fieldset', { 'aria-describedby': hintEl.id }, h('legend', {}, 'Hubs'), hintEl, list, error);

  const selected = () => [...list.querySelectorAll('input[type="checkbox"]:checked')].map((b) => b.value);

  function setHubs(hubs, chosen = selected()) {
    clear(list);
    const inOrder = [
      ...chosen.map((id) => hubs.find((x) => x.hubId === id) || { hubId: id, unknown: true }),
      ...hubs.filter((x) => !chosen.includes(x.hubId)),
    ];
    if (inOrder.length === 0) {
      list.append(h('p', { class: 'empty-state' }, 'No hubs yet: create one on the ', h('a', { href: '#/hubs' }, 'Hubs'), ' page first.'));
      return;
    }
    for (const hub of inOrder) {
      const box = h('input', { type: 'checkbox', name: 'hubIds', value: hub.hubId, id: uid('hub'), checked: chosen.includes(hub.hubId), disabled: readOnly });
      const text = hub.unknown ? `(no such hub) ${hub.hubId}` : `${hub.name || hub.hubId} (${hub.hubId})`;
      list.append(h('div', { class: 'choice' }, box, h('label', { for: box.id }, text)));
    }
  }

  function setError(text) {
    clear(error);
    if (text) {
      error.append(text);
      wrap.setAttribute('aria-describedby', `${hintEl.id} ${error.id}`);
      wrap.setAttribute('aria-invalid', 'true');
    } else {
      wrap.setAttribute('aria-describedby', hintEl.id);
      wrap.removeAttribute('aria-invalid');
    }
  }

  return { wrap, setHubs, selected, setError };
}
