// Live: dps's Prometheus metrics (/metrics) read every 2 s and shown as tables with bars, plus
// the newest provisioning records (only those ten are read: an owner may have 100k). Nothing is
// read while the tab is hidden, and less often while dps is slow (poll.js). Rates, means and
// percentiles over the last interval come from the difference between two reads (counters only
// grow, except across a dps restart). The bars are plain elements whose width is set through the
// CSSOM (allowed by the CSP, unlike a style attribute); no server text ever becomes markup.

import { h, clear, setAlert } from '../dom.js';
import { startPolling } from '../poll.js';
import { STEPS, stepState, recordSummary, creationDate, byNewest, enrollmentText, timeEl } from './records.js';

const POLL_MS = 2000;
const ROUTE = '#/live';
const ARRIVING = 10;
const ARRIVING_PATH = `/api/v1/provisioning-records?view=ocf&newestFirst=true&limit=${ARRIVING}`;
const MAX_LINES = 200000; // a metrics page is a few hundred lines; never loop on a hostile one

// ---- the Prometheus text format (version 0.0.4) ----

/** A sample value: a float, or +Inf, -Inf, NaN. null when it is none of those. */
export function parseValue(text) {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  return Number(text);
}

const NAME_RE = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_RE = /[a-zA-Z_][a-zA-Z0-9_]*/y;

function skipSpace(line, i) {
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i += 1;
  return i;
}

/** One sample line -> {name, labels, value}; null when the line is malformed. */
export function parseSampleLine(line) {
  NAME_RE.lastIndex = 0;
  const nameMatch = NAME_RE.exec(line);
  if (!nameMatch) return null;
  const name = nameMatch[0];
  let i = name.length;
  const labels = {};
  i = skipSpace(line, i);
  if (line[i] === '{') {
    i += 1;
    for (;;) {
      i = skipSpace(line, i);
      if (line[i] === '}') {
        i += 1;
        break;
      }
      LABEL_RE.lastIndex = i;
      const labelMatch = LABEL_RE.exec(line);
      if (!labelMatch) return null;
      const label = labelMatch[0];
      i = skipSpace(line, i + label.length);
      if (line[i] !== '=') return null;
      i = skipSpace(line, i + 1);
      if (line[i] !== '"') return null;
      i += 1;
      let value = '';
      for (;;) {
        if (i >= line.length) return null; // unterminated
        const c = line[i];
        if (c === '\\') {
          const next = line[i + 1];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else if (next === undefined) return null;
          else value += `\\${next}`;
          i += 2;
        } else if (c === '"') {
          i += 1;
          break;
        } else {
          value += c;
          i += 1;
        }
      }
      labels[label] = value;
      i = skipSpace(line, i);
      if (line[i] === ',') {
        i += 1;
      } else if (line[i] !== '}') {
        return null;
      }
    }
  }
  i = skipSpace(line, i);
  const rest = line.slice(i).split(/[ \t]+/).filter(Boolean);
  if (rest.length < 1 || rest.length > 2) return null; // value [timestamp]
  const value = parseValue(rest[0]);
  if (value === null) return null;
  return { name, labels, value };
}

/** The whole exposition -> {samples: [{name, labels, value}], types: Map(name -> type)}. */
export function parsePrometheus(text) {
  const samples = [];
  const types = new Map();
  const lines = String(text).split('\n');
  for (let n = 0; n < lines.length && n < MAX_LINES; n += 1) {
    const line = lines[n].replace(/\r$/, '').trim();
    if (!line) continue;
    if (line[0] === '#') {
      const m = /^#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\w+)/.exec(line);
      if (m) types.set(m[1], m[2]);
      continue; // HELP and other comments
    }
    const sample = parseSampleLine(line);
    if (sample) samples.push(sample);
  }
  return { samples, types };
}

/** Sum of the samples of name grouped by one label: Map(labelValue -> sum). */
function sumBy(samples, name, label) {
  const out = new Map();
  for (const s of samples) {
    if (s.name !== name || !Number.isFinite(s.value)) continue;
    const key = label ? s.labels[label] ?? '' : '';
    out.set(key, (out.get(key) || 0) + s.value);
  }
  return out;
}

function total(samples, name) {
  return sumBy(samples, name, null).get('') || 0;
}

/** Histograms of base name grouped by a label: Map(key -> {buckets: [{le, count}], sum, count}). */
export function histograms(samples, base, label) {
  const out = new Map();
  const get = (key) => {
    if (!out.has(key)) out.set(key, { buckets: new Map(), sum: 0, count: 0 });
    return out.get(key);
  };
  for (const s of samples) {
    const key = s.labels[label] ?? '';
    if (s.name === `${base}_bucket`) {
      const le = parseValue(s.labels.le ?? '');
      if (le === null || Number.isNaN(le)) continue;
      const hist = get(key);
      hist.buckets.set(le, (hist.buckets.get(le) || 0) + s.value);
    } else if (s.name === `${base}_sum`) {
      get(key).sum += s.value;
    } else if (s.name === `${base}_count`) {
      get(key).count += s.value;
    }
  }
  for (const hist of out.values()) {
    hist.buckets = [...hist.buckets.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  }
  return out;
}

/** cur - prev of one histogram (cumulative buckets stay cumulative); cur when dps restarted. */
function histogramDelta(cur, prev) {
  if (!prev || cur.count < prev.count) return cur;
  const before = new Map(prev.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: cur.buckets.map((b) => ({ le: b.le, count: Math.max(0, b.count - (before.get(b.le) || 0)) })),
    sum: cur.sum - prev.sum,
    count: cur.count - prev.count,
  };
}

/**
 * The q-quantile from cumulative buckets, interpolated linearly inside the bucket (as
 * Prometheus' histogram_quantile): {value, above} with above = beyond the largest finite bound.
 */
export function quantile(q, buckets) {
  if (!buckets.length) return null;
  const totalCount = buckets[buckets.length - 1].count;
  if (!(totalCount > 0)) return null;
  const rank = q * totalCount;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return { value: prevLe, above: true };
      const inBucket = b.count - prevCount;
      const fraction = inBucket > 0 ? (rank - prevCount) / inBucket : 1;
      return { value: prevLe + (b.le - prevLe) * Math.min(1, Math.max(0, fraction)), above: false };
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return { value: prevLe, above: true };
}

export function formatSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  if (s < 0.001) return `${(s * 1000).toFixed(2)} ms`;
  if (s < 1) return `${(s * 1000).toFixed(1)} ms`;
  return `${s.toFixed(2)} s`;
}

function formatQuantile(q) {
  if (!q) return '—';
  return q.above ? `> ${formatSeconds(q.value)}` : formatSeconds(q.value);
}

const count = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');

/** "2.05" -> its class (2); codes are labels of dps_provisioning_steps_total. */
const codeClass = (code) => Number(String(code).split('.')[0]);

// What each handshake result means (label values of dps_handshakes_total, metrics.hpp).
const HANDSHAKE_MEANING = {
  ok: 'admitted',
  no_group: 'refused: no enrollment names the issuer',
  disabled: 'refused: enrollment disabled',
  revoked: 'refused: certificate revoked',
  expired: 'refused: certificate expired',
  failed: 'failed: chain does not verify, TLS error or reset',
  timeout: 'failed: handshake timeout',
  no_certificate: 'no client certificate (TPM session)',
};

// Step labels of dps_provisioning_steps_total, in the order a device runs them.
const STEP_ORDER = ['time', 'ownership', 'cloudConfiguration', 'credentials', 'acls', 'preConfiguration', 'tpmChallenge', 'tpmActivation', 'other'];
const STEP_NAMES = {
  time: 'Time',
  ownership: 'Ownership',
  cloudConfiguration: 'Cloud configuration',
  credentials: 'Credentials',
  acls: 'ACLs',
  preConfiguration: 'Pre-configuration',
  tpmChallenge: 'TPM challenge',
  tpmActivation: 'TPM activation',
  other: 'Other paths',
};
const stepOrder = (a, b) => {
  const ia = STEP_ORDER.indexOf(a);
  const ib = STEP_ORDER.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || String(a).localeCompare(String(b));
};
const stepName = (s) => STEP_NAMES[s] || s;

// ---- rendering ----

function bar(value, max, label) {
  const fill = h('span', { class: 'bar-fill' });
  const pct = max > 0 && Number.isFinite(value) ? Math.max(0, Math.min(100, (value / max) * 100)) : 0;
  fill.style.width = `${pct.toFixed(1)}%`;
  return h('span', { class: 'bar', 'aria-hidden': 'true', title: label || '' }, fill);
}

function dataTable(caption, headers, rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'live-table responsive' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows),
    ),
  );
}

function cells(id, values, headers) {
  return h(
    'tr',
    { dataset: { id } },
    values.map((v, i) => h('td', { dataset: { label: headers[i] } }, v)),
  );
}

export async function render(main, ctx) {
  const { api } = ctx;
  let prev = null; // {time, provisioned, handshakes, steps, codes, hist}
  let stopped = false;
  let stopPolling = () => {};

  const updated = h('p', { class: 'muted live-updated' }, 'Reading /metrics…');
  const alert = h('p', { class: 'error', role: 'alert', hidden: true });
  const summary = h('div', { class: 'live-summary' });
  const handshakes = h('section', { 'aria-labelledby': 'live-handshakes' });
  const steps = h('section', { 'aria-labelledby': 'live-steps' });
  const errors = h('section', { 'aria-labelledby': 'live-errors' });
  const latency = h('section', { 'aria-labelledby': 'live-latency' });
  const arriving = h('section', { 'aria-labelledby': 'live-arriving' });

  clear(main);
  main.append(
    h('h1', {}, 'Live'),
    h('p', { class: 'hint' }, `dps's metrics, read every ${POLL_MS / 1000} s while this page is shown. “Last interval” is the change since the previous read.`),
    updated,
    alert,
    summary,
    h('div', { class: 'live-grid' }, steps, handshakes, latency, errors),
    arriving,
  );

  const active = () => !stopped && !(ctx.signal && ctx.signal.aborted) && main.isConnected && location.hash.startsWith(ROUTE);

  function stop() {
    if (stopped) return;
    stopped = true;
    stopPolling();
    window.removeEventListener('hashchange', onHash);
  }
  function onHash() {
    if (!location.hash.startsWith(ROUTE)) stop();
  }
  window.addEventListener('hashchange', onHash);

  function draw(m, now) {
    const { samples } = parsePrometheus(m);
    const cur = {
      time: now,
      provisioned: total(samples, 'dps_provisionings_total'),
      open: total(samples, 'dps_open_connections'),
      connections: total(samples, 'dps_connections_total'),
      handshakes: sumBy(samples, 'dps_handshakes_total', 'result'),
      steps: sumBy(samples, 'dps_provisioning_steps_total', 'step'),
      codes: new Map(),
      hist: histograms(samples, 'dps_provisioning_step_duration_seconds', 'step'),
    };
    for (const s of samples) {
      if (s.name !== 'dps_provisioning_steps_total') continue;
      const key = `${s.labels.step ?? ''}\u0000${s.labels.code ?? ''}`;
      cur.codes.set(key, (cur.codes.get(key) || 0) + s.value);
    }
    const restarted = prev && cur.provisioned < prev.provisioned;
    const base = restarted ? null : prev;
    const seconds = base ? (now - base.time) / 1000 : 0;
    const delta = (value, before) => (base ? value - (before || 0) : null);
    const deltaText = (d) => (d === null ? '—' : d > 0 ? `+${count(d)}` : '0');

    // Summary
    const dProv = delta(cur.provisioned, base && base.provisioned);
    const rate = dProv !== null && seconds > 0 ? (dProv / seconds) * 60 : null;
    clear(summary).append(
      h(
        'dl',
        { class: 'facts live-facts' },
        h('div', { dataset: { id: 'provisioned' } }, h('dt', {}, 'Devices provisioned'), h('dd', { class: 'big' }, count(cur.provisioned))),
        h(
          'div',
          { dataset: { id: 'rate' } },
          h('dt', {}, 'In the last interval'),
          // No rate when both reads carry the same time (seconds 0): rate is null then.
          h('dd', {}, dProv === null ? '—' : rate === null ? deltaText(dProv) : `${deltaText(dProv)} (${rate.toFixed(1)} a minute)`),
        ),
        h('div', { dataset: { id: 'open' } }, h('dt', {}, 'Device sessions open'), h('dd', {}, count(cur.open))),
        h('div', { dataset: { id: 'connections' } }, h('dt', {}, 'Device connections accepted'), h('dd', {}, count(cur.connections))),
      ),
    );

    // Handshakes
    const hsHeaders = ['Result', 'Meaning', 'Count', 'Last interval', 'Share'];
    const hsMax = Math.max(0, ...cur.handshakes.values());
    const hsRows = [...cur.handshakes.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([result, n]) =>
        cells(
          result,
          [
            result,
            HANDSHAKE_MEANING[result] || '',
            count(n),
            deltaText(delta(n, base && base.handshakes.get(result))),
            bar(n, hsMax, `${result}: ${n}`),
          ],
          hsHeaders,
        ),
      );
    const refused = [...cur.handshakes.entries()].filter(([r]) => r !== 'ok' && r !== 'no_certificate').reduce((a, [, n]) => a + n, 0);
    clear(handshakes).append(
      h('h2', { id: 'live-handshakes' }, 'Handshakes and refusals'),
      h('p', {}, `${count(refused)} ${refused === 1 ? 'handshake' : 'handshakes'} refused or failed since dps started.`),
      hsRows.length ? dataTable('Device TLS handshakes by result', hsHeaders, hsRows) : h('p', { class: 'empty-state' }, 'No device handshake yet.'),
    );

    // Steps
    const stHeaders = ['Step', 'Requests', 'Errors', 'Last interval', 'Share'];
    const errorsByStep = new Map();
    for (const [key, n] of cur.codes) {
      const [step, code] = key.split('\u0000');
      if (codeClass(code) >= 4) errorsByStep.set(step, (errorsByStep.get(step) || 0) + n);
    }
    const stMax = Math.max(0, ...cur.steps.values());
    const stRows = [...cur.steps.keys()].sort(stepOrder).map((step) => {
      const n = cur.steps.get(step);
      return cells(
        step,
        [stepName(step), count(n), count(errorsByStep.get(step) || 0), deltaText(delta(n, base && base.steps.get(step))), bar(n, stMax, `${step}: ${n}`)],
        stHeaders,
      );
    });
    clear(steps).append(
      h('h2', { id: 'live-steps' }, 'Requests per step'),
      stRows.length ? dataTable('Device requests answered, by step', stHeaders, stRows) : h('p', { class: 'empty-state' }, 'No device request yet.'),
    );

    // Errors by CoAP code
    const erHeaders = ['CoAP code', 'Step', 'Count', 'Last interval'];
    const erRows = [...cur.codes.entries()]
      .map(([key, n]) => [...key.split('\u0000'), n])
      .filter(([, code]) => codeClass(code) >= 4)
      .sort((a, b) => b[2] - a[2] || a[1].localeCompare(b[1]))
      .map(([step, code, n]) =>
        cells(`${step}:${code}`, [code, stepName(step), count(n), deltaText(delta(n, base && base.codes.get(`${step}\u0000${code}`)))], erHeaders),
      );
    clear(errors).append(
      h('h2', { id: 'live-errors' }, 'Errors by CoAP code'),
      erRows.length ? dataTable('Device requests answered with an error code', erHeaders, erRows) : h('p', { class: 'empty-state' }, 'No step answered with an error.'),
    );

    // Latency
    const laHeaders = ['Step', 'Window', 'Requests', 'Mean', 'p50', 'p95', 'p95 bar'];
    const laData = [...cur.hist.keys()].sort(stepOrder).map((step) => {
      const all = cur.hist.get(step);
      const d = base ? histogramDelta(all, base.hist.get(step)) : null;
      const use = d && d.count > 0 ? d : all;
      const window = d && d.count > 0 ? `last ${seconds.toFixed(1)} s` : 'since start';
      return {
        step,
        window,
        n: use.count,
        mean: use.count > 0 ? use.sum / use.count : null,
        p50: quantile(0.5, use.buckets),
        p95: quantile(0.95, use.buckets),
      };
    });
    const laMax = Math.max(0, ...laData.map((r) => (r.p95 ? r.p95.value : 0)));
    const laRows = laData
      .filter((r) => r.n > 0)
      .map((r) =>
        cells(
          r.step,
          [stepName(r.step), r.window, count(r.n), formatSeconds(r.mean), formatQuantile(r.p50), formatQuantile(r.p95), bar(r.p95 ? r.p95.value : 0, laMax)],
          laHeaders,
        ),
      );
    clear(latency).append(
      h('h2', { id: 'live-latency' }, 'Step latency'),
      h('p', { class: 'hint' }, 'From reading the request to writing the answer, record commit included. p50 and p95 are estimated from the histogram buckets.'),
      laRows.length ? dataTable('Latency per step', laHeaders, laRows) : h('p', { class: 'empty-state' }, 'No step timed yet.'),
    );

    updated.textContent = `Updated ${new Date(now).toLocaleTimeString()}${restarted ? ' (dps restarted: counters started again)' : ''}.`;
    prev = cur;
  }

  function drawArriving(records) {
    const newest = records.slice().sort(byNewest).slice(0, ARRIVING);
    const headers = ['Created', 'Device', 'Enrollment', 'Status', ...STEPS.map((s) => s.label)];
    const rows = newest.map((r) => {
      const sum = recordSummary(r);
      return cells(
        String(r.id),
        [
          timeEl(creationDate(r), true),
          h('span', { class: 'mono' }, r.deviceId || '(no device id yet)'),
          h('span', { class: 'mono' }, enrollmentText(r)),
          h('span', { class: ['step-badge', `step-${sum.state}`] }, sum.text),
          ...STEPS.map((s) => {
            const st = stepState(s.status(r));
            return st.state === 'ok' ? 'ok' : st.state === 'error' ? `error${st.code && st.code !== 'none' ? ` ${st.code}` : ''}` : 'pending';
          }),
        ],
        headers,
      );
    });
    clear(arriving).append(
      h('h2', { id: 'live-arriving' }, 'Devices arriving'),
      rows.length
        ? dataTable(`The newest ${rows.length} provisioning ${rows.length === 1 ? 'record' : 'records'}, newest first`, headers, rows)
        : h('p', { class: 'empty-state' }, 'No provisioning records yet.'),
    );
  }

  // Resolves true when both reads were drawn (the poll loop backs off on false). A drawing that
  // throws (a metrics page of an unexpected shape) is reported like a failed read.
  async function poll() {
    const [metrics, records] = await Promise.allSettled([api.metricsText(), api.list(ARRIVING_PATH)]);
    if (!active()) return true;
    const problems = [];
    const reason = (r) => (r && r.message) || String(r);
    if (metrics.status === 'fulfilled') {
      try {
        draw(metrics.value, Date.now());
      } catch (e) {
        problems.push(`Cannot show /metrics: ${reason(e)}`);
      }
    } else {
      problems.push(`Cannot read /metrics: ${reason(metrics.reason)}`);
    }
    if (records.status === 'fulfilled') {
      try {
        drawArriving(records.value);
      } catch (e) {
        problems.push(`Cannot show the provisioning records: ${reason(e)}`);
      }
    } else {
      problems.push(`Cannot read the provisioning records: ${reason(records.reason)}`);
    }
    setAlert(alert, problems.join(' '));
    return problems.length === 0;
  }

  // The first read draws the page before it resolves; the loop never ends on an exception.
  try {
    await poll();
  } catch (e) {
    setAlert(alert, `Cannot show the live page: ${(e && e.message) || e}`);
  }
  if (active()) stopPolling = startPolling({ poll, interval: POLL_MS, active, onStop: stop });
  else stop();
  return stop;
}
