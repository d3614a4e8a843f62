// Every use of the HTTP API by the page goes through this module. The page signs in with an API key:
// POST /api/login checks it and keeps it in an HttpOnly cookie, which the browser sends with every later request,
// the event stream included (an EventSource cannot send headers, and a key in a URL would end up in logs).
// setCredentials() can instead give a header (a JWT bearer token) for fetch calls.
let credentials = null;   // { header: 'Authorization', value: 'Bearer ...' } or null

export function setCredentials(c) { credentials = c; }

function headers(extra) {
  const h = { 'Accept': 'application/json', ...(extra || {}) };
  if (credentials) h[credentials.header] = credentials.value;
  return h;
}

// A failed call throws an Error carrying the HTTP status (401: not signed in; 403: no right or scope) and the detail.
async function call(method, path, body) {
  const init = { method, headers: headers(body ? { 'Content-Type': 'application/json' } : null), credentials: 'same-origin' };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!response.ok) {
    const error = new Error((data && data.error) || `HTTP ${response.status}`);
    error.status = response.status;
    error.detail = data && data.detail;
    throw error;
  }
  return data;
}

export const api = {
  login: (apiKey) => call('POST', '/api/login', { apiKey }),
  logout: () => call('DELETE', '/api/login'),
  me: () => call('GET', '/api/me'),
  roots: () => call('GET', '/api/orgs'),
  org: (id) => call('GET', `/api/orgs/${encodeURIComponent(id)}`),
  twin: (id) => call('GET', `/api/twins/${encodeURIComponent(id)}`),
  shadow: (id) => call('GET', `/api/twins/${encodeURIComponent(id)}/shadow`),
  commands: (id) => call('GET', `/api/twins/${encodeURIComponent(id)}/commands`),
  sendCommand: (id, body) => call('POST', `/api/twins/${encodeURIComponent(id)}/commands`, body),
  verifyLedger: () => call('GET', '/api/ledger/verify'),
  liveUrl: (org, twins) => {
    const q = new URLSearchParams();
    if (org) q.append('org', org);
    for (const t of twins || []) q.append('twin', t);
    return `/api/live?${q}`;
  },
};
