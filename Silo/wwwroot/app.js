// The live page: the organization tree, the machines of the selected organization with live values, a machine's
// detail (tags, shadow, commands, a command form) and the ledger check. Updates arrive as server-sent events from
// /api/live (fed by grain observers): nothing polls a twin. The page needs an API key: without one (or with a revoked
// one) it says 'not signed in' and shows a sign-in form (POST /api/login keeps the key in an HttpOnly cookie).
import { api } from './api.js';

const $ = (s) => document.querySelector(s);
const el = (tag, attrs, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ''));
  return e;
};
const fmt = (v) => v === null || v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : Array.isArray(v) ? `[${v.map(fmt).join(', ')}]` : String(v);

const orgs = new Map();        // id -> organization (from /api/orgs/{id}) with its live aggregate
const twins = new Map();       // id -> { id, state, connectivity, tags: Map(name -> tag), commands: Map(id -> command) }
let selectedOrg = null;
let selectedTwin = null;
let source = null;
let dirty = { tree: false, machines: new Set(), allMachines: false, detail: false, alarms: false };

// A command seen twice (the POST's answer and the live feed) keeps the record that went further.
function mergeCommand(t, c) {
  const known = t.commands.get(c.commandId);
  if (!known || (c.transitions || []).length >= (known.transitions || []).length) t.commands.set(c.commandId, c);
}

function twin(id) {
  let t = twins.get(id);
  if (!t) { t = { id, state: '', connectivity: '', tags: new Map(), commands: new Map() }; twins.set(id, t); }
  return t;
}

// ---- the tree ----
async function loadTree() {
  const roots = await api.roots();
  const walk = async (o) => {
    orgs.set(o.id, o);
    const children = await Promise.all(o.childOrganizations.map((c) => api.org(c)));
    await Promise.all(children.map(walk));
  };
  await Promise.all(roots.map(walk));
  renderTree(roots.map((r) => r.id));
  return roots.length > 0 ? roots[0].id : null;
}

function renderTree(rootIds) {
  const build = (id) => {
    const o = orgs.get(id);
    const li = el('li', null, el('a', { 'data-org': id, class: id === selectedOrg ? 'selected' : null }, `${o.name} (${o.kind})`));
    const ul = el('ul');
    for (const c of o.childOrganizations) ul.append(build(c));
    for (const m of o.machines) ul.append(el('li', null, el('a', { 'data-twin': m }, m)));
    li.append(ul);
    return li;
  };
  const nav = $('#tree');
  nav.replaceChildren(el('ul', null, ...rootIds.map(build)));
  nav.onclick = (e) => {
    const a = e.target.closest('a');
    if (!a) return;
    if (a.dataset.org) selectOrg(a.dataset.org);
    if (a.dataset.twin) selectTwin(a.dataset.twin);
  };
}

// ---- the live feed ----
function follow(orgId) {
  if (source) source.close();
  setConnection('connecting', 'connecting…');
  source = new EventSource(api.liveUrl(orgId));
  source.addEventListener('hello', (e) => {
    const hello = JSON.parse(e.data);
    $('#followed').textContent = `${hello.twins} machines followed`;
    setConnection('live', 'live');
  });
  source.addEventListener('twin', (e) => onTwin(JSON.parse(e.data)));
  source.addEventListener('org', (e) => onOrg(JSON.parse(e.data)));
  source.onopen = () => setConnection('live', 'live');
  // EventSource reconnects by itself after a lost connection; the page says so meanwhile, and the snapshots that
  // follow a reconnect replace what was shown. An answer other than a stream (401, 403, 503) closes it for good: the
  // page asks why, and follows again unless the answer is about the credentials or the rights.
  const current = source;
  current.onerror = () => {
    setConnection('lost', 'connection lost: reconnecting…');
    if (current.readyState === EventSource.CLOSED) whyClosed(current, orgId);
  };
}

async function whyClosed(closed, orgId) {
  try {
    const controller = new AbortController();
    const response = await fetch(api.liveUrl(orgId), { credentials: 'same-origin', signal: controller.signal });
    controller.abort();
    if (response.status === 401 || response.status === 403) {
      let message = `HTTP ${response.status}`;
      try { message = (await response.json()).error || message; } catch { /* not JSON */ }
      if (response.status === 401) { signedOut(message); return; }
      setConnection('forbidden', message);
      return;
    }
  } catch { /* the silo is away: try again below */ }
  setTimeout(() => { if (source === closed) follow(orgId); }, 2000);
}

function setConnection(state, text) {
  const c = $('#connection');
  c.className = `connection ${state}`;
  c.dataset.state = state;
  c.textContent = text;
}

function onTwin(m) {
  const t = twin(m.twinId);
  if (m.kind === 'snapshot') { t.tags.clear(); if (m.reason) console.info(`gap on ${m.twinId}: ${m.reason}`); }
  if (m.kind === 'lost' || m.kind === 'restored') { t.connectivity = m.kind === 'lost' ? 'unreachable' : t.connectivity; }
  if (m.state) t.state = m.state;
  if (m.connectivity) t.connectivity = m.connectivity;
  for (const tag of m.tags || []) t.tags.set(tag.name, tag);
  for (const c of m.commands || []) mergeCommand(t, c);
  dirty.machines.add(m.twinId);
  dirty.alarms = true;
  if (m.twinId === selectedTwin) dirty.detail = true;
  schedule();
}

function onOrg(m) {
  const o = orgs.get(m.id);
  if (o) o.aggregate = m.aggregate;
  if (m.id === selectedOrg) dirty.tree = true;
  schedule();
}

let scheduled = false;
function schedule() {
  if (scheduled) return;
  scheduled = true;
  // At most one render per frame, whatever the number of events.
  requestAnimationFrame(() => { scheduled = false; render(); });
}

function render() {
  if (dirty.tree) renderAggregate();
  if (dirty.allMachines) renderMachines();
  else for (const id of dirty.machines) renderMachineRow(id);
  if (dirty.alarms) renderAlarms();
  if (dirty.detail) renderDetail();
  dirty = { tree: false, machines: new Set(), allMachines: false, detail: false, alarms: false };
}

// ---- the organization view ----
function machinesBelow(id) {
  const o = orgs.get(id);
  if (!o) return [];
  return [...o.machines, ...o.childOrganizations.flatMap(machinesBelow)];
}

function selectOrg(id) {
  selectedOrg = id;
  for (const a of document.querySelectorAll('#tree a[data-org]')) a.classList.toggle('selected', a.dataset.org === id);
  const o = orgs.get(id);
  $('#org-title').textContent = `${o.name} (${o.kind})`;
  follow(id);
  dirty.tree = true; dirty.allMachines = true; dirty.alarms = true;
  schedule();
}

function renderAggregate() {
  const o = orgs.get(selectedOrg);
  if (!o || !o.aggregate) return;
  const a = o.aggregate;
  $('#aggregate').textContent = `${a.machineCount} machines: ${a.running} running, ${a.idle} idle, ${a.faulted} faulted, ${a.offline} offline; ${a.activeAlarms} alarms; OEE ${(a.oee * 100).toFixed(1)} %`;
}

function renderMachines() {
  const body = $('#machines tbody');
  body.replaceChildren(...machinesBelow(selectedOrg).map((id) => el('tr', { class: 'machine', 'data-twin': id })));
  body.onclick = (e) => { const tr = e.target.closest('tr'); if (tr) selectTwin(tr.dataset.twin); };
  for (const id of machinesBelow(selectedOrg)) renderMachineRow(id);
}

function renderMachineRow(id) {
  const row = document.querySelector(`#machines tr[data-twin="${CSS.escape(id)}"]`);
  const t = twins.get(id);
  if (!row || !t) return;
  const temp = t.tags.get('temperature');
  const speed = t.tags.get('speed');
  const alarms = [...t.tags.values()].filter((x) => x.alarm !== 'None').map((x) => `${x.name} ${x.alarm}`);
  const state = t.tags.get('state');
  row.replaceChildren(
    el('td', null, id),
    el('td', null, t.state || fmt(state && state.value)),
    el('td', { class: 'temperature' }, temp ? fmt(temp.value) : ''),
    el('td', null, speed ? fmt(speed.value) : ''),
    el('td', { class: temp ? temp.quality : '' }, temp ? temp.quality : t.connectivity),
    el('td', { class: alarms.length ? 'alarm' : '' }, alarms.join(', ')));
}

function renderAlarms() {
  const items = [];
  for (const id of machinesBelow(selectedOrg)) {
    const t = twins.get(id);
    if (!t) continue;
    for (const tag of t.tags.values()) if (tag.alarm !== 'None') items.push(el('li', { class: 'alarm', 'data-twin': id }, `${id} ${tag.name} ${tag.alarm} at ${fmt(tag.value)}`));
  }
  $('#alarms').replaceChildren(...items);
}

// ---- a machine's detail ----
async function selectTwin(id) {
  selectedTwin = id;
  $('#detail').hidden = false;
  $('#detail-title').textContent = id;
  const t = twin(id);
  let detail, shadow, commands;
  try {
    [detail, shadow, commands] = await Promise.all([api.twin(id), api.shadow(id), api.commands(id)]);
  } catch (err) {
    if (err.status === 401) signedOut(err.message);
    else $('#detail-status').textContent = `cannot read ${id} (${err.status ?? 'no answer'}): ${err.message}`;
    return;
  }
  $('#detail-status').textContent = `${detail.kind}, ${detail.coupling}, ${detail.connectivity}, ${detail.status.state}; gateway ${detail.gateway ?? '-'}, organization ${detail.organizationId ?? '-'}`;
  $('#shadow').textContent = JSON.stringify(shadow, null, 2);
  for (const c of commands.items || []) mergeCommand(t, {
    commandId: c.envelope.commandId, status: c.status, reason: c.reason, issuer: c.envelope.issuer, tag: c.envelope.tag, method: c.envelope.method, payload: c.envelope.payload, transitions: c.transitions,
  });
  if (t.tags.size === 0) for (const tag of detail.tags) t.tags.set(tag.name, tag);
  // A machine outside the followed organization gets a feed of its own.
  if (!machinesBelow(selectedOrg).includes(id)) followTwinAlone(id);
  dirty.detail = true;
  schedule();
}

let twinSource = null;
function followTwinAlone(id) {
  if (twinSource) twinSource.close();
  twinSource = new EventSource(api.liveUrl(null, [id]));
  twinSource.addEventListener('twin', (e) => onTwin(JSON.parse(e.data)));
}

function renderDetail() {
  const t = twins.get(selectedTwin);
  if (!t) return;
  $('#tags tbody').replaceChildren(...[...t.tags.values()].map((tag) => el('tr', { 'data-tag': tag.name },
    el('td', null, tag.name), el('td', null, fmt(tag.value)), el('td', { class: tag.quality }, tag.quality),
    el('td', { class: tag.alarm !== 'None' ? 'alarm' : '' }, tag.alarm !== 'None' ? tag.alarm : ''),
    el('td', null, tag.sourceTimestamp ? new Date(tag.sourceTimestamp).toLocaleTimeString() : ''))));
  const commands = [...t.commands.values()].sort((a, b) => (a.transitions[0]?.at ?? '').localeCompare(b.transitions[0]?.at ?? '')).reverse();
  $('#commands tbody').replaceChildren(...commands.map((c) => el('tr', { 'data-command': c.commandId },
    el('td', null, c.commandId), el('td', null, c.tag ? `${c.tag} = ${fmt(c.payload)}` : `${c.method}()`), el('td', null, c.issuer),
    el('td', { class: `status ${c.status}` }, c.status), el('td', null, c.reason ?? ''),
    el('td', null, c.transitions.map((x) => x.status).join(' → ')))));
}

$('#command-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  // The issuer is the signed-in avatar (the grid takes it from the credentials).
  const body = { commandId: 'page-' + crypto.randomUUID().replaceAll('-', '').slice(0, 16) };
  const method = f.get('method').trim();
  if (method) body.method = method;
  else {
    body.tag = f.get('tag').trim();
    const v = f.get('value').trim();
    body.value = v === 'true' ? true : v === 'false' ? false : v !== '' && !isNaN(Number(v)) ? Number(v) : v;
  }
  const result = $('#command-result');
  result.textContent = 'sending…';
  try {
    const record = await api.sendCommand(selectedTwin, body);
    result.textContent = `${record.envelope.commandId}: ${record.status}`;
    mergeCommand(twin(selectedTwin), {
      commandId: record.envelope.commandId, status: record.status, reason: record.reason, issuer: record.envelope.issuer, tag: record.envelope.tag,
      method: record.envelope.method, payload: record.envelope.payload, transitions: record.transitions,
    });
  } catch (err) {
    if (err.status === 401) { signedOut(err.message); return; }
    result.textContent = `refused (${err.status}): ${err.message}`;
    const r = err.detail;
    if (r && r.envelope) mergeCommand(twin(selectedTwin), {
      commandId: r.envelope.commandId, status: r.status, reason: r.reason, issuer: r.envelope.issuer, tag: r.envelope.tag, method: r.envelope.method, payload: r.envelope.payload, transitions: r.transitions,
    });
  }
  dirty.detail = true;
  schedule();
});

$('#verify-ledger').addEventListener('click', async () => {
  const out = $('#ledger-result');
  out.textContent = 'checking…';
  try {
    const v = await api.verifyLedger();
    out.textContent = v.isValid ? `ledger verified: ${v.count} entries` : `ledger does not verify: entry ${v.badIndex} (${v.badEntryId}): ${v.problem}`;
    out.className = v.isValid ? 'Applied' : 'alarm';
  } catch (err) {
    if (err.status === 401) signedOut(err.message);
    out.textContent = `ledger check failed (${err.status ?? 'no answer'}): ${err.message}`;
  }
});

// ---- signing in ----
function signedOut(reason) {
  if (source) { source.close(); source = null; }
  if (twinSource) { twinSource.close(); twinSource = null; }
  setConnection('signedout', 'not signed in');
  $('#who').textContent = '';
  $('#who').dataset.state = 'signedout';
  $('#sign-out').hidden = true;
  $('#plant').hidden = true;
  $('#signin').hidden = false;
  $('#signin-state').textContent = reason ? `not signed in: ${reason}` : 'not signed in';
}

async function start() {
  let me;
  try {
    me = await api.me();
  } catch (err) {
    if (err.status === 401) { signedOut(err.message); return; }
    setConnection('lost', `cannot reach the grid (${err.status ?? 'no answer'}): ${err.message}`);
    setTimeout(start, 2000);
    return;
  }
  $('#who').textContent = `${me.avatarId} (${me.role})`;
  $('#who').dataset.state = 'signedin';
  $('#sign-out').hidden = false;
  $('#signin').hidden = true;
  $('#plant').hidden = false;
  try {
    const root = await loadTree();
    if (root) selectOrg(root);
  } catch (err) {
    if (err.status === 401) signedOut(err.message);
    else $('#org-title').textContent = `cannot read the organizations (${err.status ?? 'no answer'}): ${err.message}`;
  }
}

$('#signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = e.target.elements.apiKey;
  const result = $('#signin-result');
  result.textContent = 'signing in…';
  try {
    await api.login(input.value.trim());
    input.value = '';
    result.textContent = '';
    await start();
  } catch (err) {
    result.textContent = `refused (${err.status ?? 'no answer'}): ${err.message}`;
  }
});

$('#sign-out').addEventListener('click', async () => {
  try { await api.logout(); } finally { signedOut(''); }
});

await start();
