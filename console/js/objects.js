// Changing one stored object (a group, a hub, an individual enrollment) through the API's PUT,
// which replaces every field. The body is built on the object as stored right now, read again
// just before the write, never on the copy the page listed when it was drawn: a list a minute
// old would put back what someone changed since (a revocation, a CRL, a disabled flag). The
// action then sets only the fields it is about. (The API has no version check, so two writes in
// the same instant can still cross; re-reading shrinks that window from minutes to one round
// trip.)

/** The object as a PUT body: every stored field except those the server owns or derives. */
function writable(object) {
  const { id, owner, managedBy, overlaps, ...rest } = object;
  return JSON.parse(JSON.stringify(rest));
}

/** GET <collection>?idFilter=<id>: the object as stored now. Throws when it is gone. */
async function readFresh(api, collection, id, what, options) {
  const found = await api.list(`${collection}?idFilter=${encodeURIComponent(id)}`, options);
  const object = found.find((x) => x.id === id);
  if (!object) throw new Error(`this ${what} no longer exists (deleted meanwhile?): reload the page`);
  return object;
}

/**
 * Re-reads the object, lets change(body, fresh) set the fields the action is about on a
 * writable copy of it, and PUTs that to <collection>/<id>. Returns the object as now stored
 * (the PUT's answer). change may return a replacement body.
 */
export async function putFresh(api, collection, id, what, change, options) {
  const fresh = await readFresh(api, collection, id, what, options);
  let body = writable(fresh);
  const replaced = change(body, fresh);
  if (replaced !== undefined) body = replaced;
  const stored = await api.put(`${collection}/${encodeURIComponent(id)}`, body, options);
  return stored && stored.id ? stored : { ...fresh, ...body, id };
}
