// PEM and X.509 reading in the browser, for showing what a chain holds before it is sent (the
// server checks everything again). The DER reader is small and bounded: every length is checked
// against the bytes that remain, nesting is fixed by the certificate's structure (no generic
// recursion), so hostile input throws instead of hanging or reading past the end.

const BEGIN_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const MAX_BLOCKS = 64;

/**
 * The base64 bodies of the CERTIFICATE blocks of text (whitespace removed), in order. Text
 * around the blocks (openssl's "subject=" lines) is ignored; a block of another type (a key, a
 * CRL), or no block at all, throws "not a PEM certificate".
 */
export function splitPem(text) {
  const blocks = [];
  if (typeof text !== 'string') throw new Error('not a PEM certificate');
  for (const match of text.matchAll(BEGIN_RE)) {
    if (match[1] !== 'CERTIFICATE' || match[3] !== 'CERTIFICATE') throw new Error('not a PEM certificate');
    const body = match[2].replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) throw new Error('not a PEM certificate');
    blocks.push(body);
    if (blocks.length > MAX_BLOCKS) throw new Error(`more than ${MAX_BLOCKS} certificates`);
  }
  if (blocks.length === 0) throw new Error('not a PEM certificate');
  return blocks;
}

/** base64 -> bytes. */
function base64ToBytes(b64) {
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) out[i] = binary.charCodeAt(i);
  return out;
}

/** A base64 body back to a PEM block (64 columns), as servers and openssl expect it. */
function toPem(b64, type = 'CERTIFICATE') {
  const lines = b64.match(/.{1,64}/g) || [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/**
 * Every certificate of a PEM text, parsed: [{pem, der, ...parseCertificate(der)}]. Throws the
 * first problem ("not a PEM certificate", "certificate 2: malformed DER ...").
 */
export function parsePemCertificates(text) {
  return splitPem(text).map((b64, index) => {
    const der = base64ToBytes(b64);
    try {
      return { pem: toPem(b64), der, ...parseCertificate(der) };
    } catch (e) {
      throw new Error(`certificate ${index + 1}: ${e.message}`);
    }
  });
}

// ---- DER ----

class DerError extends Error {}

function fail(what) {
  throw new DerError(`malformed DER (${what})`);
}

/** One TLV at bytes[pos]: {tag, header (its first byte), start (of the value), end, next}. */
function readTlv(bytes, pos, end) {
  if (pos + 2 > end) fail('truncated header');
  const tag = bytes[pos];
  if ((tag & 0x1f) === 0x1f) fail('high tag number');
  let len = bytes[pos + 1];
  let start = pos + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0 || count > 4) fail('length');
    if (start + count > end) fail('truncated length');
    len = 0;
    for (let i = 0; i < count; i += 1) len = len * 256 + bytes[start + i];
    start += count;
  }
  if (len > end - start) fail('length beyond the data');
  return { tag, header: pos, start, end: start + len, next: start + len };
}

function expect(bytes, pos, end, tag, what) {
  const tlv = readTlv(bytes, pos, end);
  if (tlv.tag !== tag) fail(`${what}: tag 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** The TLVs directly inside [start, end). */
function children(bytes, start, end) {
  const out = [];
  let pos = start;
  while (pos < end) {
    const tlv = readTlv(bytes, pos, end);
    out.push(tlv);
    pos = tlv.next;
    if (out.length > 10000) fail('too many elements');
  }
  return out;
}

function oidText(bytes, tlv) {
  if (tlv.tag !== 0x06 || tlv.end === tlv.start || tlv.end - tlv.start > 64) fail('OID');
  const parts = [];
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i += 1) {
    value = value * 128 + (bytes[i] & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) fail('OID arc');
    if ((bytes[i] & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  if (bytes[tlv.end - 1] & 0x80) fail('OID end');
  return parts.join('.');
}

const latin1 = (bytes) => Array.from(bytes, (b) => String.fromCharCode(b)).join('');

function stringValue(bytes, tlv) {
  const raw = bytes.subarray(tlv.start, tlv.end);
  switch (tlv.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8').decode(raw);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString
    case 0x1a: // VisibleString
      return latin1(raw);
    case 0x1e: {
      // BMPString: UTF-16BE
      let s = '';
      for (let i = 0; i + 1 < raw.length; i += 2) s += String.fromCharCode(raw[i] * 256 + raw[i + 1]);
      return s;
    }
    case 0x1c: {
      // UniversalString: UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < raw.length; i += 4) {
        const cp = ((raw[i] << 24) | (raw[i + 1] << 16) | (raw[i + 2] << 8) | raw[i + 3]) >>> 0;
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      return s;
    }
    default:
      return `#${hex(raw)}`;
  }
}

const ATTRIBUTE_NAMES = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GN',
  '2.5.4.12': 'title',
  '2.5.4.46': 'dnQualifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

function escapeRdnValue(value) {
  return value.replace(/[,+"\\<>;]/g, '\\$&').replace(/^[ #]/, '\\$&').replace(/ $/, '\\ ');
}

/** A Name: {text (RFC 4514 order, as OpenSSL prints RFC 2253), cn (the last CN)}. */
function readName(bytes, tlv) {
  if (tlv.tag !== 0x30) fail('Name');
  const rdns = [];
  let cn = '';
  for (const set of children(bytes, tlv.start, tlv.end)) {
    if (set.tag !== 0x31) fail('RDN');
    const parts = [];
    for (const atv of children(bytes, set.start, set.end)) {
      if (atv.tag !== 0x30) fail('AttributeTypeAndValue');
      const [type, value] = children(bytes, atv.start, atv.end);
      if (!type || !value) fail('AttributeTypeAndValue');
      const oid = oidText(bytes, type);
      const text = stringValue(bytes, value);
      if (oid === '2.5.4.3') cn = text;
      parts.push(`${ATTRIBUTE_NAMES[oid] || oid}=${escapeRdnValue(text)}`);
    }
    rdns.push(parts.join('+'));
  }
  return { text: rdns.reverse().join(','), cn };
}

function readTime(bytes, tlv) {
  const text = latin1(bytes.subarray(tlv.start, tlv.end));
  let m;
  if (tlv.tag === 0x17) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text);
    if (!m) fail('UTCTime');
    const yy = Number(m[1]);
    m = [m[0], String(yy < 50 ? 2000 + yy : 1900 + yy), m[2], m[3], m[4], m[5], m[6]];
  } else if (tlv.tag === 0x18) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text);
    if (!m) fail('GeneralizedTime');
  } else {
    fail('Time');
  }
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] || 0)));
  if (Number.isNaN(date.getTime())) fail('time value');
  return date;
}

/** Lowercase hex of bytes. */
function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const EKU_NAMES = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

function readExtensions(bytes, tlv, out) {
  const seq = expect(bytes, tlv.start, tlv.end, 0x30, 'Extensions');
  for (const ext of children(bytes, seq.start, seq.end)) {
    if (ext.tag !== 0x30) fail('Extension');
    const parts = children(bytes, ext.start, ext.end);
    if (parts.length < 2) fail('Extension');
    const oid = oidText(bytes, parts[0]);
    const value = parts[parts.length - 1];
    if (value.tag !== 0x04) fail('extnValue');
    if (oid === '2.5.29.19') {
      // basicConstraints: SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }
      const bc = expect(bytes, value.start, value.end, 0x30, 'basicConstraints');
      const fields = children(bytes, bc.start, bc.end);
      out.isCA = fields.length > 0 && fields[0].tag === 0x01 && bytes[fields[0].start] !== 0;
    } else if (oid === '2.5.29.37') {
      const eku = expect(bytes, value.start, value.end, 0x30, 'extKeyUsage');
      out.extKeyUsage = children(bytes, eku.start, eku.end).map((o) => {
        const dotted = oidText(bytes, o);
        return EKU_NAMES[dotted] || dotted;
      });
    }
  }
}

/**
 * The facts of one DER certificate: {subject, issuer, subjectCN, issuerCN, serialHex (lowercase,
 * no leading zeros, as dps prints it), notBefore, notAfter (Dates), isCA, extKeyUsage (names),
 * spki (the SubjectPublicKeyInfo's DER bytes, for publicKeySha256)}. Throws on malformed input.
 */
export function parseCertificate(der) {
  if (!(der instanceof Uint8Array)) throw new Error('parseCertificate needs bytes');
  try {
    const cert = expect(der, 0, der.length, 0x30, 'Certificate');
    if (cert.next !== der.length) fail('trailing bytes');
    const tbs = expect(der, cert.start, cert.end, 0x30, 'TBSCertificate');
    const items = children(der, tbs.start, tbs.end);
    let i = 0;
    if (items[i] && items[i].tag === 0xa0) i += 1; // [0] version
    const serial = items[i++];
    if (!serial || serial.tag !== 0x02 || serial.end === serial.start) fail('serialNumber');
    const sigAlg = items[i++];
    if (!sigAlg || sigAlg.tag !== 0x30) fail('signature');
    const issuer = items[i++];
    if (!issuer) fail('issuer');
    const validity = items[i++];
    if (!validity || validity.tag !== 0x30) fail('validity');
    const subject = items[i++];
    if (!subject) fail('subject');
    const spki = items[i++];
    if (!spki || spki.tag !== 0x30) fail('subjectPublicKeyInfo');
    const out = { isCA: false, extKeyUsage: [] };
    for (; i < items.length; i += 1) {
      if (items[i].tag === 0xa3) readExtensions(der, items[i], out);
    }
    const times = children(der, validity.start, validity.end);
    if (times.length !== 2) fail('validity');
    const subjectName = readName(der, subject);
    const issuerName = readName(der, issuer);
    const serialText = hex(der.subarray(serial.start, serial.end)).replace(/^0+/, '') || '0';
    return {
      subject: subjectName.text,
      issuer: issuerName.text,
      subjectCN: subjectName.cn,
      issuerCN: issuerName.cn,
      serialHex: serialText,
      notBefore: readTime(der, times[0]),
      notAfter: readTime(der, times[1]),
      isCA: out.isCA,
      extKeyUsage: out.extKeyUsage,
      selfSigned: subjectName.text === issuerName.text,
      // The DER of the SubjectPublicKeyInfo, header included: what publicKeySha256 hashes.
      spki: der.slice(spki.header, spki.end),
    };
  } catch (e) {
    if (e instanceof DerError) throw new Error(e.message);
    throw e;
  }
}

/** Lowercase hex SHA-256 of bytes (crypto.subtle; needs a secure context: https or loopback). */
export async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return hex(new Uint8Array(digest));
}

/** The claims of a JWT, decoded without verification (for display only). Throws if not a JWT. */
export function decodeJwtClaims(token) {
  const parts = String(token).trim().split('.');
  if (parts.length !== 3) throw new Error('not a JWT');
  let b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
  while (b64.length % 4) b64 += '=';
  let claims;
  try {
    claims = JSON.parse(new TextDecoder('utf-8').decode(base64ToBytes(b64)));
  } catch {
    throw new Error('not a JWT');
  }
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('not a JWT');
  return claims;
}
