// Every use of the HTTP API by the page goes through this module: adding a key or a token is one change here
// (headers() for fetch, liveUrl() for the event stream, which cannot send headers).
let credentials = null;   // { header: 'Authorization', value: 'Bearer ...' } or null

export function setCredentials(c) { credentials = c; }

function headers(extra) {
  const h = { 'Accept': 'application/json', ...(extra || {}) };
  if (credentials) h[credentials.header] = credentials.value;
  return h;
}

async function call(method, path, body) {
  const init = { method, headers: headers(body ? { 'Content-Type': 'application/json' } : null) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error((data && data.error) || `HTTP ${response.status}`);
    error.status = response.status;
    error.detail = data && data.detail;
    throw error;
  }
  return data;
}

export const api = {
  roots: () => call('GET', '/api/orgs'),
  org: (id) => call('GET', `/api/orgs/${encodeURIComponent(id)}`),
  twin: (id) => call('GET', `/api/twins/${encodeURIComponent(id)}`),
  shadow: (id) => call('GET', `/api/twins/${encodeURIComponent(id)}/shadow`),
  commands: (id) => call('GET', `/api/twins/${encodeURIComponent(id)}/commands`),
  sendCommand: (id, body) => call('POST', `/api/twins/${encodeURIComponent(id)}/commands`, body),
  verifyLedger: () => call('GET', '/api/ledger/verify'),
  avatars: () => call('GET', '/api/avatars?count=1000'),
  liveUrl: (org, twins) => {
    const q = new URLSearchParams();
    if (org) q.append('org', org);
    for (const t of twins || []) q.append('twin', t);
    if (credentials && credentials.query) q.append(credentials.query, credentials.value);
    return `/api/live?${q}`;
  },
};
