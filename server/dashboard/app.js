// The sipcreds dashboard (docs/dashboard.md): a plain ES module, no build step, no other
// origin. It uses only the HTTP API; the token is sent once, to sign in, and the session
// lives in an HttpOnly cookie this script cannot read. Every rule is the server's: the page
// shows the server's errors beside their fields and the server's lint before Save.

const main = document.getElementById('main');
const announcer = document.getElementById('announce');

let session = null; // {org, role, tokenId, tokenName}
let events = null; // the org's EventSource
let refresh = null; // the current view's refresh, run on a change event
let flash = null; // a notice for the next page shown
let fieldDocs = null; // the input fields' descriptions, from the server's schema
const pageStack = []; // the cursors of the pages before this one, for "Previous page"

const EVENT_TYPES = [
  'credential.created', 'credential.updated', 'credential.deleted', 'credentials.changed',
  'number.linked', 'number.unlinked', 'number.deleted', 'agent.created', 'agent.updated',
  'agent.deleted', 'provider.connected', 'provider.deleted', 'health.changed',
  'health.transition', 'resync',
];

const STATES = {
  up: ['\u2713', 'Up'],
  degraded: ['\u25D0', 'Degraded'],
  down: ['\u2715', 'Down'],
  rejected: ['\u26A0', 'Rejected'],
  paused: ['\u275A\u275A', 'Paused'],
  unknown: ['?', 'Unknown'],
};

const TRANSPORTS = [
  ['udp', 'UDP (port 5060)'],
  ['tcp', 'TCP (port 5060)'],
  ['tls', 'TLS (port 5061)'],
];

// ------------------------------------------------------------------ DOM helpers

/** An element: `h('a', {href: '#/x'}, 'text', child, ...)`; text is never parsed as HTML. */
function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  let value;
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  if (value !== undefined) el.value = value;
  return el;
}

/** Replace an element's children: nested arrays flattened, null and false left out. */
function fill(el, ...kids) {
  el.replaceChildren(...kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false)
    .map((k) => (k instanceof Node ? k : document.createTextNode(String(k)))));
}

/** `draw`, skipped when the data is what was drawn last: a change event that brings
 * nothing new to this view leaves it (and an error shown in it) as it is. */
function unlessSame(draw) {
  let last = null;
  return (data) => {
    const text = JSON.stringify(data);
    if (text === last) return;
    last = text;
    draw(data);
  };
}

function say(text) {
  announcer.textContent = '';
  setTimeout(() => { announcer.textContent = text; }, 50);
}

/** Show a view: its heading takes the focus, so a screen reader starts there. */
function render(nodes, { focus = true } = {}) {
  const notice = flash ? h('p', { class: 'notice', role: 'status' }, flash) : null;
  flash = null;
  fill(main, notice, nodes);
  const heading = main.querySelector('h1');
  document.title = heading ? `${heading.textContent} \u00B7 sipcreds` : 'sipcreds';
  if (focus) {
    const h1 = main.querySelector('h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus();
    }
  }
}

function time(t) {
  if (!t) return h('span', { class: 'muted' }, 'never');
  const d = new Date(t);
  const text = Number.isNaN(d.getTime()) ? t : d.toISOString().replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  return h('time', { datetime: t }, text);
}

function dash(label = 'none') {
  return h('span', { class: 'muted' }, label);
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

const writer = () => session && session.role === 'write';

// ------------------------------------------------------------------ the API

class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || { code: 'internal', message: `the server answered ${status}` };
    super(e.message);
    this.status = status;
    this.code = e.code;
    this.field = e.field;
    this.body = e;
  }
}

async function api(method, path, body, headers = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, init);
  } catch {
    throw new ApiError(0, { error: { code: 'storage', message: 'the server cannot be reached: is sipcreds serve running?' } });
  }
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!r.ok) {
    if (r.status === 401 && path !== '/v1/session') signedOut('Your session has ended: sign in again.');
    throw new ApiError(r.status, data);
  }
  return { data, headers: r.headers };
}

const orgPath = (p) => `/v1/orgs/${encodeURIComponent(session.org)}${p}`;
const credPath = (id, p = '') => orgPath(`/credentials/${encodeURIComponent(id)}${p}`);

async function docs() {
  if (!fieldDocs) fieldDocs = (await api('GET', '/assets/fields.json')).data;
  return fieldDocs;
}

// ------------------------------------------------------------------ sign-in and the frame

function signedOut(message) {
  session = null;
  refresh = null;
  if (events) events.close();
  events = null;
  document.getElementById('who').hidden = true;
  document.getElementById('nav').hidden = true;
  const token = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'token-hint' });
  const error = h('p', { class: 'alert', role: 'alert', hidden: !message }, message || '');
  const form = h('form', {
    class: 'signin',
    onsubmit: async (e) => {
      e.preventDefault();
      const value = token.value.trim();
      token.value = '';
      try {
        const { data } = await api('POST', '/v1/session', { token: value });
        start(data);
      } catch (err) {
        error.hidden = false;
        error.textContent = err.code === 'unauthorized'
          ? 'This token is not valid (revoked, mistyped or not a sipcreds token). Make one with: sipcreds --org ORG tokens create --role write'
          : err.message;
        token.focus();
      }
    },
  },
  h('h1', {}, 'Sign in to sipcreds'),
  h('p', { class: 'lead' }, 'Paste an API token once. The server keeps your session in a cookie that this page cannot read; the token is not stored in the browser.'),
  error,
  h('div', { class: 'field' },
    h('label', { for: 'token' }, 'Token'),
    token,
    h('span', { class: 'hint', id: 'token-hint' }, 'Starts with sct_. Make one with: sipcreds --org ORG tokens create --role write')),
  h('button', { type: 'submit' }, 'Sign in'));
  render([form]);
  token.focus();
}

function start(who) {
  session = who;
  document.getElementById('who-org').textContent = who.org;
  document.getElementById('who-token').textContent = who.tokenName || who.tokenId;
  document.getElementById('who-role').textContent = who.role === 'write' ? 'can change' : 'read only';
  document.getElementById('who').hidden = false;
  document.getElementById('nav').hidden = false;
  connectEvents();
  route();
}

function connectEvents() {
  if (events) events.close();
  const state = document.getElementById('live-state');
  state.textContent = 'Live updates: connecting';
  events = new EventSource(orgPath('/events'));
  events.addEventListener('ready', () => { state.textContent = 'Live updates: on'; });
  events.addEventListener('error', () => {
    state.textContent = events && events.readyState === EventSource.CLOSED ? 'Live updates: off (reload the page)' : 'Live updates: reconnecting';
  });
  for (const type of EVENT_TYPES) events.addEventListener(type, changed);
}

let pending = null;
function changed() {
  if (pending) return;
  pending = setTimeout(async () => {
    pending = null;
    if (!refresh) return;
    // Never redraw a field the user is typing in: wait until the focus leaves it.
    const active = document.activeElement;
    if (active && main.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) {
      active.addEventListener('blur', changed, { once: true });
      return;
    }
    try {
      await refresh();
    } catch {
      // The next change or a reload tries again; an error page would lose the user's place.
    }
  }, 200);
}

function markNav(section) {
  for (const a of document.querySelectorAll('nav a[data-section]')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  if (!session) return;
  refresh = null;
  const raw = location.hash.replace(/^#/, '') || '/credentials';
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p; // a malformed escape: the id is then not found, said on the page
    }
  });
  const params = new URLSearchParams(query);
  const section = ['numbers', 'agents'].includes(parts[0]) ? parts[0] : 'credentials';
  markNav(section);
  try {
    if (section === 'numbers') await numbersPage(params);
    else if (section === 'agents') await agentsPage(params);
    else if (parts[1] === 'new') await addPage();
    else if (parts[1]) await credentialPage(parts[1]);
    else await credentialsPage(params);
  } catch (e) {
    if (!session) return;
    render([h('h1', {}, e.code === 'not_found' ? 'Not found' : 'Something went wrong'),
      h('p', { class: 'alert', role: 'alert' }, e.message),
      h('p', {}, h('a', { href: '#/credentials' }, 'Back to the credentials'))]);
  }
}

// ------------------------------------------------------------------ health

function healthBadge(rec, key) {
  const state = (rec && rec.state) || 'unknown';
  const [icon, word] = STATES[state] || ['?', state];
  const tip = `tip-${key}`;
  return h('span', { class: `health ${state}`, tabindex: '0', 'aria-describedby': tip },
    h('span', { 'aria-hidden': 'true' }, icon), word,
    h('span', { class: 'tip', role: 'tooltip', id: tip }, healthText(rec)));
}

function healthText(rec) {
  if (!rec || rec.state === 'paused') return rec ? 'Paused: not probed until it is resumed.' : 'Not probed yet.';
  if (!rec.lastOutcome) return 'Not probed yet (or changed since): the monitor probes it soon.';
  const status = rec.lastStatus ? ` ${rec.lastStatus}${rec.lastReason ? ` ${rec.lastReason}` : ''}` : '';
  const when = rec.lastProbeAt ? ` at ${rec.lastProbeAt.replace('T', ' ').replace('Z', ' UTC')}` : '';
  const rejected = rec.state === 'rejected' ? ' Not probed again until the credential is changed or monitoring is resumed.' : '';
  return `Last outcome: ${rec.lastOutcome}${status}${when}.${rejected}`;
}

// ------------------------------------------------------------------ Credentials (the list)

async function credentialsPage(params) {
  const state = { q: params.get('q') || '', after: params.get('after') || '' };
  if (!state.after) pageStack.length = 0;
  // A page of 100. A search reads at most 20,000 credentials a request and may answer a
  // short page: read on (for up to 5 s) until the page is full or the list ends.
  const load = async () => {
    const get = async (after, limit) => {
      const qs = new URLSearchParams({ limit: String(limit) });
      if (state.q) qs.set('q', state.q);
      if (after) qs.set('after', after);
      return (await api('GET', orgPath(`/overview?${qs}`))).data;
    };
    const started = Date.now();
    let page = await get(state.after, 100);
    const items = [...page.items];
    while (state.q && items.length < 100 && page.next && Date.now() - started < 5000) {
      page = await get(page.next, 100 - items.length);
      items.push(...page.items);
    }
    return { items, next: page.next };
  };
  const holder = h('div', {});
  const show = unlessSame((page) => fill(holder, credentialsTable(page, state), pager(page, state)));
  const search = h('input', { id: 'search', type: 'search', value: state.q, autocomplete: 'off', 'aria-describedby': 'search-hint' });
  let typing = null;
  const find = async () => {
    state.q = search.value.trim();
    state.after = '';
    pageStack.length = 0;
    history.replaceState(null, '', state.q ? `#/credentials?q=${encodeURIComponent(state.q)}` : '#/credentials');
    const page = await load();
    show(page);
    say(`${page.items.length}${page.next ? ' or more' : ''} credentials found`);
  };
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => find().catch(() => {}), 300);
  });
  show(await load());
  render([
    h('h1', {}, 'Credentials'),
    h('p', { class: 'lead' }, `Phone Numbers \u203A Credentials: the SIP trunks of ${session.org}, with their health.`),
    h('div', { class: 'toolbar' },
      h('form', { role: 'search', class: 'grow', onsubmit: (e) => { e.preventDefault(); clearTimeout(typing); find(); } },
        h('label', { for: 'search' }, 'Search'),
        search,
        h('span', { class: 'hint', id: 'search-hint' }, 'By name, server or auth user')),
      writer() ? h('button', { type: 'button', onclick: () => go('#/credentials/new') }, 'Add credentials') : null),
    holder,
  ]);
  refresh = async () => show(await load());
}

function credentialsTable(page, state) {
  if (page.items.length === 0) {
    return h('p', {}, state.q
      ? `No credential's name, server or auth user contains \u201C${state.q}\u201D${page.next ? ' in the part searched so far: go on with Next page.' : '.'}`
      : 'No credentials yet. Add credentials to connect a SIP trunk.');
  }
  return h('table', {},
    h('caption', { class: 'visually-hidden' }, `Credentials of ${session.org}`),
    h('thead', {}, h('tr', {}, ['Name', 'Server', 'Transport', 'Auth user', 'CPS limit', 'CPS key', 'Source', 'Health', 'Numbers']
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, page.items.map(({ credential: c, health, numbers, numberCount }) => h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/credentials/${c.id}` }, c.name || `Unnamed (${c.server})`)),
      h('td', {}, c.server),
      h('td', {}, c.transport.toUpperCase()),
      h('td', {}, c.authUser || dash()),
      h('td', { class: 'num' }, c.cpsLimit ?? dash('unlimited')),
      h('td', {}, c.cpsKey || dash()),
      h('td', {}, c.source === 'provider' ? 'provider (read-only)' : 'manual'),
      h('td', {}, healthBadge(health, c.id)),
      h('td', {}, numberCount === 0 ? dash() : [numbers.join(', '), numberCount > numbers.length ? ` and ${numberCount - numbers.length} more` : ''])))));
}

function pager(page, state) {
  const base = state.q ? `#/credentials?q=${encodeURIComponent(state.q)}` : '#/credentials';
  const join = base.includes('?') ? '&' : '?';
  const prev = state.after
    ? h('button', {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        const before = pageStack.pop();
        go(before ? `${base}${join}after=${encodeURIComponent(before)}` : base);
      },
    }, pageStack.length ? 'Previous page' : 'First page')
    : null;
  const next = page.next
    ? h('button', {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        if (state.after) pageStack.push(state.after);
        go(`${base}${join}after=${encodeURIComponent(page.next)}`);
      },
    }, 'Next page')
    : null;
  if (!prev && !next) return null;
  return h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, next);
}

/** The pager of a list without search: back to the first page, and on. */
function pagerOf(base, after, next) {
  if (!after && !next) return null;
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    after ? h('button', { type: 'button', class: 'secondary', onclick: () => go(base) }, 'First page') : null,
    next ? h('button', { type: 'button', class: 'secondary', onclick: () => go(`${base}?after=${encodeURIComponent(next)}`) }, 'Next page') : null);
}

// ------------------------------------------------------------------ Add and edit

/** The form of a credential: create when `original` is null, else an edit in place. */
async function credentialForm(original, { onSaved, onCancel }) {
  const d = await docs();
  // A field's description from the server's schema, up to its first ";" (what follows is
  // about the API: what null does on an update, which fields come together).
  const hint = (name, extra = '') => `${((d[name] && d[name].description) || '').split(';')[0].replace(/\.?$/, '.')}${extra}`;
  const ids = (name) => ({ id: `f-${name}`, name, 'aria-describedby': `h-${name} e-${name}` });
  const v = (name) => (original && original[name] !== null && original[name] !== undefined ? String(original[name]) : '');
  const field = (name, label, control, help) => h('div', { class: 'field' },
    h('label', { for: `f-${name}` }, label), control,
    h('span', { class: 'hint', id: `h-${name}` }, help),
    h('p', { class: 'field-error', id: `e-${name}`, hidden: true }));
  const keys = h('datalist', { id: 'cps-keys' });
  api('GET', orgPath('/limits?limit=1000')).then(({ data }) => {
    const seen = new Set((data.items || []).map((g) => g.cpsKey).filter(Boolean));
    fill(keys, ...[...seen].sort().map((k) => h('option', { value: k })));
  }).catch(() => {});

  const password = h('input', { ...ids('authPassword'), type: 'password', autocomplete: 'new-password', spellcheck: 'false' });
  let passwordField;
  if (original) {
    const set = original.hasPassword ? 'set' : 'not set';
    const changer = h('button', {
      type: 'button',
      class: 'secondary',
      onclick: () => { changer.replaceWith(password); password.focus(); },
    }, 'Change password');
    passwordField = h('div', { class: 'field' },
      h('span', { class: 'label', id: 'password-label' }, h('strong', {}, 'Password: '), set),
      h('label', { for: 'f-authPassword', class: 'visually-hidden' }, 'Password'),
      h('div', {}, changer),
      h('span', { class: 'hint', id: 'h-authPassword' }, hint('authPassword', ' Write-only: it is never shown, here or anywhere.')),
      h('p', { class: 'field-error', id: 'e-authPassword', hidden: true }));
  } else {
    passwordField = field('authPassword', 'Password', password, hint('authPassword', ' Write-only: it is never shown again.'));
  }
  const transport = h('select', ids('transport'), TRANSPORTS.map(([t, label]) => h('option', { value: t }, label)));
  transport.value = v('transport') || 'udp';
  const problems = h('div', { role: 'status', 'aria-live': 'polite' });
  const summary = h('div', { role: 'alert' });
  const form = h('form', { novalidate: true },
    summary,
    field('name', 'Name', h('input', { ...ids('name'), value: v('name'), autocomplete: 'off' }), hint('name', ' Optional.')),
    h('fieldset', {}, h('legend', {}, 'Required'),
      field('server', 'Server', h('input', { ...ids('server'), value: v('server'), autocomplete: 'off', spellcheck: 'false', required: true, 'aria-required': 'true' }),
        hint('server', ' For example sip.example.com or sip.example.com:5061.'))),
    h('fieldset', {}, h('legend', {}, 'Authentication'),
      field('authUser', 'Auth user', h('input', { ...ids('authUser'), value: v('authUser'), autocomplete: 'off', spellcheck: 'false' }), hint('authUser')),
      passwordField,
      field('domain', 'Domain', h('input', { ...ids('domain'), value: v('domain'), autocomplete: 'off', spellcheck: 'false' }), hint('domain'))),
    h('fieldset', {}, h('legend', {}, 'Transport'),
      field('transport', 'Transport', transport, 'How to reach the server. TLS uses port 5061 unless the server names a port; UDP and TCP use 5060.')),
    h('fieldset', {}, h('legend', {}, 'Rate limiting'),
      field('cpsLimit', 'CPS limit', h('input', { ...ids('cpsLimit'), value: v('cpsLimit'), inputmode: 'numeric', autocomplete: 'off' }),
        hint('cpsLimit', ' 1 to 10000; empty: unlimited.')),
      field('cpsKey', 'CPS key', h('input', { ...ids('cpsKey'), value: v('cpsKey'), list: 'cps-keys', autocomplete: 'off', spellcheck: 'false' }),
        hint('cpsKey', ' The keys already in use are offered.')),
      keys),
    problems,
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Save'),
      onCancel ? h('button', { type: 'button', class: 'secondary', onclick: onCancel }, 'Cancel') : null));

  const TEXT = ['name', 'server', 'authUser', 'domain', 'cpsKey'];
  // What the form says: for a create the input; for an edit the patch of what changed.
  const collect = () => {
    const out = {};
    const val = (n) => (form.elements[n] ? form.elements[n].value.trim() : '');
    for (const n of [...TEXT, 'transport', 'cpsLimit']) {
      let x = val(n);
      if (n === 'cpsLimit' && /^\d+$/.test(x)) x = Number(x);
      if (original) {
        const was = original[n] ?? '';
        if (x !== was && !(x === '' && was === null)) out[n] = x === '' ? null : x;
      } else if (x !== '') {
        out[n] = x;
      }
    }
    if (password.isConnected && password.value !== '') out.authPassword = password.value;
    return out;
  };
  const clearErrors = () => {
    fill(summary, );
    for (const el of form.querySelectorAll('.field-error')) { el.hidden = true; el.textContent = ''; }
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  };
  const showError = (err) => {
    const control = err.field && form.elements[err.field] && form.elements[err.field].isConnected ? form.elements[err.field] : null;
    if (control) {
      const box = form.querySelector(`#e-${err.field}`);
      box.textContent = err.message;
      box.hidden = false;
      control.setAttribute('aria-invalid', 'true');
      const label = form.querySelector(`label[for="f-${err.field}"]`);
      fill(summary, h('p', { class: 'alert' }, `Not saved: ${label ? label.textContent : err.field} needs a fix (see below).`));
      control.focus();
    } else {
      fill(summary, h('p', { class: 'alert' }, `Not saved: ${err.message}`));
      summary.setAttribute('tabindex', '-1');
      summary.focus();
    }
  };
  // Lint findings of the unsaved input, from the server, while the user types.
  let linting = null;
  const lint = async () => {
    const body = original ? { ...fullInput(original), ...collect() } : collect();
    for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
    if (!body.server) { fill(problems, ); return; }
    // The password is never sent to lint: only whether there is one matters to its rules.
    delete body.authPassword;
    delete body.authUser;
    if (original) body.id = original.id;
    try {
      const { data } = await api('POST', orgPath('/credentials/lint'), body);
      const findings = data.filter((f) => f.severity !== 'info' || f.code);
      fill(problems, findings.length === 0 ? '' : h('div', { class: 'warnings' },
        h('strong', {}, 'Before you save'),
        h('ul', {}, findings.map((f) => h('li', {}, `${f.severity === 'error' ? 'Error' : f.severity === 'warning' ? 'Warning' : 'Note'}: ${f.message}${f.fix ? ` Fix: ${f.fix}` : ''}`)))));
    } catch {
      fill(problems, ); // Invalid so far: Save shows the error beside its field.
    }
  };
  form.addEventListener('input', () => { clearTimeout(linting); linting = setTimeout(lint, 400); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors();
    const body = collect();
    password.value = '';
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      if (original) {
        if (Object.keys(body).length === 0) { onSaved(original, 'Nothing changed.'); return; }
        const { data } = await api('PATCH', credPath(original.id), body, { 'If-Match': `"${original.version}"` });
        onSaved(data, 'Saved.');
      } else {
        const { data } = await api('POST', orgPath('/credentials'), body);
        onSaved(data, 'Credentials saved.');
      }
    } catch (err) {
      if (original && (err.code === 'conflict' || err.status === 412)) {
        await showConflict(form, original, body);
      } else {
        showError(err);
      }
    } finally {
      button.disabled = false;
    }
  });
  if (original) lint();
  return form;
}

/** A stored credential's fields as an input (no password: it never reaches the page). */
function fullInput(c) {
  const out = { server: c.server, transport: c.transport };
  for (const n of ['name', 'domain', 'cpsLimit', 'cpsKey']) if (c[n] !== null && c[n] !== undefined) out[n] = c[n];
  return out;
}

/** The credential changed since the form was filled: the newer values beside the user's. */
async function showConflict(form, original, mine) {
  const { data: newer } = await api('GET', credPath(original.id));
  const names = { name: 'Name', server: 'Server', authUser: 'Auth user', domain: 'Domain', transport: 'Transport', cpsLimit: 'CPS limit', cpsKey: 'CPS key' };
  const rows = Object.keys(names).filter((n) => n in mine || newer[n] !== original[n]).map((n) => h('tr', {},
    h('th', { scope: 'row' }, names[n]),
    h('td', {}, n in mine ? (mine[n] ?? dash()) : dash('unchanged')),
    h('td', {}, newer[n] ?? dash())));
  const box = h('div', { class: 'alert conflict', role: 'alert' },
    h('p', {}, `Not saved: this credential was changed meanwhile (it is now version ${newer.version}; you edited version ${original.version}).`),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Your value'), h('th', { scope: 'col' }, 'Newer value'))), h('tbody', {}, rows)),
    h('div', { class: 'actions' }, h('button', {
      type: 'button',
      onclick: () => { flash = 'Reloaded: the form shows the newer values; make your change again.'; credentialPage(original.id, { edit: true }); },
    }, 'Reload')));
  form.prepend(box);
  box.querySelector('button').focus();
}

async function addPage() {
  const form = await credentialForm(null, {
    onSaved: (c, message) => { flash = message; go(`#/credentials/${c.id}`); },
    onCancel: () => go('#/credentials'),
  });
  render([
    h('h1', {}, 'Add credentials'),
    h('p', { class: 'lead' }, 'Phone Numbers \u203A Credentials \u203A Add credentials. The server checks every field on Save; nothing is saved until all are right.'),
    form,
  ]);
}

// ------------------------------------------------------------------ a credential's page

async function credentialPage(id, { edit = false } = {}) {
  const [c, usage, health, evs] = await Promise.all([
    api('GET', credPath(id)).then((r) => r.data),
    api('GET', credPath(id, '/usage')).then((r) => r.data),
    api('GET', credPath(id, '/health')).then((r) => r.data),
    api('GET', credPath(id, '/health/events')).then((r) => r.data),
  ]);
  let cred = c;
  let editing = false;
  const title = h('h1', {}, cred.name || `Unnamed credential (${cred.server})`);
  const fieldsBox = h('section', { 'aria-labelledby': 'fields-h' });
  const usageBox = h('section', { 'aria-labelledby': 'usage-h' });
  const healthBox = h('section', { 'aria-labelledby': 'health-h' });
  const probeBox = h('div', { 'aria-live': 'polite' });
  const deleteBox = h('div', {});
  let provider = null;
  if (cred.readOnly && cred.providerId) {
    try {
      const { data } = await api('GET', orgPath('/providers?limit=1000'));
      provider = (data.items || []).find((p) => p.id === cred.providerId) || null;
    } catch {
      provider = null;
    }
  }

  const showFields = () => {
    editing = false;
    const rows = [
      ['Name', cred.name || dash()], ['Server', cred.server], ['Transport', `${cred.transport.toUpperCase()} (port ${cred.port})`],
      ['Auth user', cred.authUser || dash()], ['Password', cred.hasPassword ? 'set' : 'not set'],
      ['Domain', cred.domain || dash()], ['Realm', cred.realm], ['CPS limit', cred.cpsLimit ?? dash('unlimited')],
      ['CPS key', cred.cpsKey || dash()], ['Source', cred.source === 'provider' ? 'provider' : 'manual'],
      ['Id', h('code', {}, cred.id)], ['Version', cred.version], ['Created', time(cred.createdAt)], ['Updated', time(cred.updatedAt)],
    ];
    const actions = h('div', { class: 'actions' },
      writer() && !cred.readOnly ? h('button', { type: 'button', onclick: startEdit }, 'Edit') : null,
      writer() ? h('button', { type: 'button', class: 'secondary', onclick: testConnection }, 'Test connection') : null,
      writer() && !cred.readOnly ? h('button', { type: 'button', class: 'secondary', onclick: askDelete }, 'Delete') : null);
    fill(fieldsBox, 
      h('h2', { id: 'fields-h' }, 'Configuration'),
      cred.readOnly ? h('p', { class: 'warnings', role: 'note' },
        `Managed by the provider ${provider ? `${provider.name} (${provider.kind})` : cred.providerId}: it cannot be edited or deleted here. `
        + 'Change it at the provider, or disconnect the provider to remove its credentials.') : null,
      h('dl', { class: 'fields' }, rows.map(([k, val]) => [h('dt', {}, k), h('dd', {}, val)])),
      actions, probeBox, deleteBox);
  };
  const startEdit = async () => {
    editing = true;
    const form = await credentialForm(cred, {
      onSaved: (saved, message) => { cred = saved; title.textContent = cred.name || `Unnamed credential (${cred.server})`; showFields(); flashInline(message); },
      onCancel: () => { showFields(); fieldsBox.querySelector('button')?.focus(); },
    });
    fill(fieldsBox, h('h2', { id: 'fields-h' }, 'Edit configuration'), form);
    form.elements.name.focus();
  };
  const flashInline = (message) => {
    for (const old of main.querySelectorAll('.notice')) old.remove();
    fieldsBox.prepend(h('p', { class: 'notice', role: 'status' }, message));
    fieldsBox.querySelector('button')?.focus();
  };
  const testConnection = async (e) => {
    const button = e.currentTarget;
    button.disabled = true;
    fill(probeBox, h('p', { role: 'status' }, 'Testing the connection\u2026'));
    try {
      const { data } = await api('POST', credPath(cred.id, '/probe'), {});
      fill(probeBox, probeReport(data));
    } catch (err) {
      fill(probeBox, h('p', { class: 'alert', role: 'alert' }, err.message));
    } finally {
      button.disabled = false;
    }
  };
  const askDelete = () => {
    fill(deleteBox, h('div', { class: 'alert', role: 'alert' },
      h('p', {}, `Delete ${cred.name || cred.server}? This cannot be undone.`),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'danger', onclick: () => remove(false) }, 'Confirm delete'),
        h('button', { type: 'button', class: 'secondary', onclick: () => fill(deleteBox, ) }, 'Cancel'))));
    deleteBox.querySelector('button').focus();
  };
  const remove = async (force) => {
    try {
      const { data } = await api('DELETE', credPath(cred.id, force ? '?force=true' : ''));
      flash = data.unlinkedNumbers.length
        ? `Deleted; unlinked ${data.unlinkedNumbers.join(', ')}.`
        : 'Deleted.';
      go('#/credentials');
    } catch (err) {
      if (err.code !== 'in_use') {
        fill(deleteBox, h('p', { class: 'alert', role: 'alert' }, err.message));
        return;
      }
      const u = err.body.usage || { phoneNumbers: [], agents: [] };
      fill(deleteBox, h('div', { class: 'alert', role: 'alert' },
        h('p', {}, 'Not deleted: it is in use.'),
        u.phoneNumbers.length ? h('p', {}, `Numbers linked to it: ${u.phoneNumbers.join(', ')}.`) : null,
        u.agents.length ? h('p', {}, `Agents using those numbers: ${u.agents.map((a) => `${a.name} (${a.via.join(', ')})`).join('; ')}.`) : null,
        h('p', {}, 'Unlink and delete removes the links (the numbers stay, with no credential) and deletes it.'),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'danger', onclick: () => remove(true) }, 'Unlink and delete'),
          h('button', { type: 'button', class: 'secondary', onclick: () => fill(deleteBox, ) }, 'Cancel'))));
      deleteBox.querySelector('button').focus();
    }
  };

  const showUsage = (u) => {
    fill(usageBox, 
      h('h2', { id: 'usage-h' }, 'Usage'),
      u.phoneNumbers.length === 0 && u.agents.length === 0
        ? h('p', {}, 'No number is linked to it; no agent uses it.')
        : [h('h3', {}, 'Numbers'),
          u.phoneNumbers.length ? h('ul', {}, u.phoneNumbers.map((n) => h('li', {}, n))) : h('p', {}, 'None.'),
          h('h3', {}, 'Agents'),
          u.agents.length ? h('ul', {}, u.agents.map((a) => h('li', {}, `${a.name} (through ${a.via.join(', ')})`))) : h('p', {}, 'None.')],
      writer() ? h('p', {}, 'Link a number on the ', h('a', { href: '#/numbers' }, 'Numbers tab'), '.') : null);
  };
  const showHealth = (rec, list) => {
    const steer = async (what) => {
      try {
        const { data } = await api('POST', credPath(cred.id, `/${what}`));
        showHealth(data, (await api('GET', credPath(cred.id, '/health/events'))).data);
        say(what === 'pause' ? 'Monitoring paused' : 'Monitoring resumed');
      } catch (err) {
        healthBox.append(h('p', { class: 'alert', role: 'alert' }, err.message));
      }
    };
    const recent = list.slice(-20).reverse();
    fill(healthBox, 
      h('h2', { id: 'health-h' }, 'Health'),
      h('p', {}, healthBadge(rec, 'detail'), ' ', healthText(rec)),
      h('dl', { class: 'fields' },
        h('dt', {}, 'Since'), h('dd', {}, time(rec.since)),
        h('dt', {}, 'Last probe'), h('dd', {}, time(rec.lastProbeAt)),
        h('dt', {}, 'Next probe'), h('dd', {}, rec.state === 'paused' || rec.state === 'rejected' ? dash('not scheduled') : time(rec.nextProbeAt)),
        h('dt', {}, 'Failures in a row'), h('dd', {}, rec.consecutiveFailures),
        h('dt', {}, 'Round trip'), h('dd', {}, rec.lastRttMs == null ? dash() : `${rec.lastRttMs} ms`)),
      writer() ? h('div', { class: 'actions' }, rec.state === 'paused'
        ? h('button', { type: 'button', class: 'secondary', onclick: () => steer('resume') }, 'Resume monitoring')
        : h('button', { type: 'button', class: 'secondary', onclick: () => steer('pause') }, 'Pause monitoring')) : null,
      h('h3', {}, 'Last events'),
      recent.length === 0 ? h('p', {}, 'No transition yet.') : h('table', {},
        h('thead', {}, h('tr', {}, ['When', 'From', 'To', 'Outcome', 'Status'].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, recent.map((ev) => h('tr', {},
          h('td', {}, time(ev.at)), h('td', {}, STATES[ev.from] ? STATES[ev.from][1] : ev.from),
          h('td', {}, STATES[ev.to] ? STATES[ev.to][1] : ev.to), h('td', {}, ev.outcome || dash()),
          h('td', {}, ev.status ? `${ev.status}${ev.reason ? ` ${ev.reason}` : ''}` : dash()))))));
  };

  const drawUsage = unlessSame(showUsage);
  const drawHealth = unlessSame(([rec, list]) => showHealth(rec, list));
  showFields();
  drawUsage(usage);
  drawHealth([health, evs]);
  render([
    h('p', { class: 'muted' }, h('a', { href: '#/credentials' }, 'Credentials'), ' \u203A ', cred.name || cred.id),
    title,
    h('p', { class: 'lead' }, `${cred.server} over ${cred.transport.toUpperCase()}`),
    fieldsBox, usageBox, healthBox,
  ]);
  if (edit) await startEdit();
  refresh = async () => {
    const [fresh, u, rec, list] = await Promise.all([
      api('GET', credPath(id)).then((r) => r.data),
      api('GET', credPath(id, '/usage')).then((r) => r.data),
      api('GET', credPath(id, '/health')).then((r) => r.data),
      api('GET', credPath(id, '/health/events')).then((r) => r.data),
    ]);
    if (!editing && fresh.version !== cred.version) {
      cred = fresh;
      title.textContent = cred.name || `Unnamed credential (${cred.server})`;
      showFields();
    }
    drawUsage(u);
    drawHealth([rec, list]);
  };
}

function ms(x) {
  return `${x >= 10 ? Math.round(x) : Math.round(x * 10) / 10} ms`;
}

function probeReport(r) {
  const good = r.outcome === 'ok' || r.outcome === 'reachable';
  const words = {
    ok: 'Connected: the server accepted the credentials',
    reachable: 'Reachable: the server answers (credentials not tested)',
  };
  const cause = (r.causes || [])[0];
  return h('section', { class: 'report', 'aria-labelledby': 'probe-h' },
    h('h3', { id: 'probe-h' }, `Test connection: ${words[r.outcome] || `failed (${r.outcome.replace(/_/g, ' ')})`}`),
    h('p', {}, `${r.server} over ${r.transport.toUpperCase()}, ${ms(r.elapsedMs)}${r.status ? `; last answer ${r.status}${r.reason ? ` ${r.reason}` : ''}` : ''}.`),
    h('ol', {}, (r.steps || []).map((s) => h('li', { class: s.ok ? 'step-ok' : 'step-failed' },
      `${s.ok ? '\u2713 ' : '\u2715 '}${s.step}${s.target ? ` ${s.target}` : ''}: ${s.ok ? 'ok' : 'failed'} in ${ms(s.ms)}`
      + `${s.detail ? `: ${s.detail}` : s.status ? `: ${s.status}${s.reason ? ` ${s.reason}` : ''}` : ''}`))),
    good || !cause ? null : h('p', {}, h('strong', {}, 'Likely cause: '), cause.cause, ' ', h('strong', {}, 'Fix: '), cause.fix));
}

// ------------------------------------------------------------------ Numbers

/** A "Credential" control: an id, or a name or server typed and picked from the matches. */
function credentialPicker(id, describedBy) {
  const list = h('datalist', { id: `${id}-list` });
  const input = h('input', { id, name: 'credentialId', list: `${id}-list`, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': describedBy });
  let typing = null;
  input.addEventListener('input', () => {
    clearTimeout(typing);
    const q = input.value.trim();
    if (q.startsWith('cred_') || q === '') return;
    typing = setTimeout(async () => {
      try {
        const { data } = await api('GET', orgPath(`/overview?limit=20&q=${encodeURIComponent(q)}`));
        fill(list, ...data.items.map(({ credential: c }) => h('option', { value: c.id, label: `${c.name || 'Unnamed'} \u2014 ${c.server}` })));
      } catch {
        fill(list, );
      }
    }, 250);
  });
  const resolve = async () => {
    const q = input.value.trim();
    if (q.startsWith('cred_') || q === '') return q;
    const { data } = await api('GET', orgPath(`/overview?limit=20&q=${encodeURIComponent(q)}`));
    const exact = data.items.filter(({ credential: c }) => (c.name || '').toLowerCase() === q.toLowerCase());
    const found = exact.length ? exact : data.items;
    if (found.length === 1) return found[0].credential.id;
    throw new ApiError(422, { error: { code: 'not_found', field: 'credentialId', message: found.length === 0 ? `no credential's name, server or auth user contains \u201C${q}\u201D` : `${found.length} credentials match \u201C${q}\u201D: pick one from the list` } });
  };
  return { input, list, resolve };
}

async function numbersPage(params) {
  const after = params.get('after') || '';
  const names = new Map();
  const load = async () => {
    const qs = new URLSearchParams({ limit: '100' });
    if (after) qs.set('after', after);
    const { data } = await api('GET', orgPath(`/numbers?${qs}`));
    const unknown = [...new Set(data.items.map((n) => n.credentialId).filter((x) => x && !names.has(x)))].slice(0, 30);
    await Promise.all(unknown.map((cid) => api('GET', credPath(cid)).then(({ data: c }) => names.set(cid, c.name || c.server)).catch(() => {})));
    return data;
  };
  const holder = h('div', {});
  const error = h('p', { class: 'field-error', id: 'e-link', hidden: true });
  const number = h('input', { id: 'link-number', name: 'number', autocomplete: 'off', inputmode: 'tel', 'aria-describedby': 'h-link-number e-link' });
  const picker = credentialPicker('link-credential', 'h-link-credential e-link');
  const fail = (err) => {
    error.textContent = err.message;
    error.hidden = false;
    const target = err.field === 'credentialId' || err.field === 'credential_id' || err.code === 'not_found' ? picker.input : number;
    target.setAttribute('aria-invalid', 'true');
    target.focus();
  };
  const form = h('form', {
    class: 'inline-form',
    'aria-labelledby': 'link-h',
    onsubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      number.removeAttribute('aria-invalid');
      picker.input.removeAttribute('aria-invalid');
      try {
        const cid = await picker.resolve();
        if (!cid) throw new ApiError(422, { error: { code: 'missing_field', field: 'credentialId', message: 'choose the credential to link the number to' } });
        const n = number.value.trim();
        if (!n) throw new ApiError(422, { error: { code: 'invalid_phone_number', field: 'number', message: 'enter the number to link, in E.164 form (for example +14155550100)' } });
        const { data } = await api('PUT', orgPath(`/numbers/${encodeURIComponent(n)}`), { credentialId: cid });
        say(`${data.number} linked`);
        number.value = '';
        picker.input.value = '';
        show(await load());
        number.focus();
      } catch (err) {
        fail(err);
      }
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'link-number' }, 'Phone number'), number, h('span', { class: 'hint', id: 'h-link-number' }, 'E.164, for example +14155550100')),
  h('div', { class: 'field' }, h('label', { for: 'link-credential' }, 'Credential'), picker.input, picker.list, h('span', { class: 'hint', id: 'h-link-credential' }, 'Type a name, server or auth user and pick one')),
  h('button', { type: 'submit' }, 'Link'));
  const act = async (method, n, body, message) => {
    try {
      await api(method, orgPath(`/numbers/${encodeURIComponent(n)}`), body);
      say(message);
      show(await load());
    } catch (err) {
      holder.prepend(h('p', { class: 'alert', role: 'alert' }, err.message));
    }
  };
  const show = unlessSame((page) => fill(holder, page.items.length === 0 ? h('p', {}, 'No numbers yet. Link one above.') : h('table', {},
    h('caption', { class: 'visually-hidden' }, `Numbers of ${session.org}`),
    h('thead', {}, h('tr', {}, ['Phone number', 'Credential', 'Actions'].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, page.items.map((n) => h('tr', {},
      h('th', { scope: 'row' }, n.number),
      h('td', {}, n.credentialId ? h('a', { href: `#/credentials/${n.credentialId}` }, names.get(n.credentialId) || n.credentialId) : dash('not linked')),
      h('td', {}, writer() ? h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Move ${n.number}`, onclick: () => { number.value = n.number; picker.input.focus(); } }, 'Move'),
        n.credentialId ? h('button', { type: 'button', class: 'secondary', onclick: () => act('PUT', n.number, { credentialId: null }, `${n.number} unlinked`) }, 'Unlink') : null,
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete number ${n.number}`, onclick: () => act('DELETE', n.number, undefined, `${n.number} deleted`) }, 'Delete number')) : dash('read only')))))),
  pagerOf('#/numbers', after, page.next)));
  show(await load());
  render([
    h('h1', {}, 'Numbers'),
    h('p', { class: 'lead' }, 'Phone Numbers \u203A Numbers: link a number to the credential its calls use, move it, unlink it.'),
    writer() ? [h('h2', { id: 'link-h' }, 'Link a number'), form, error] : null,
    h('h2', {}, 'All numbers'),
    holder,
  ]);
  refresh = async () => show(await load());
}

// ------------------------------------------------------------------ Agents

async function agentsPage(params) {
  const after = params.get('after') || '';
  const load = async () => {
    const qs = new URLSearchParams({ limit: '100' });
    if (after) qs.set('after', after);
    return (await api('GET', orgPath(`/agents?${qs}`))).data;
  };
  const holder = h('div', {});
  const alert = (err) => holder.prepend(h('p', { class: 'alert', role: 'alert' }, err.message));
  const reload = async () => show(await load());
  const show = unlessSame((page) => fill(holder, page.items.length === 0 ? h('p', {}, 'No agents yet.') : page.items.map((a) => {
    const input = h('input', { id: `assign-${a.id}`, autocomplete: 'off', inputmode: 'tel' });
    const err = h('p', { class: 'field-error', hidden: true, id: `e-assign-${a.id}` });
    input.setAttribute('aria-describedby', err.id);
    return h('section', { class: 'report', 'aria-labelledby': `agent-${a.id}` },
      h('h2', { id: `agent-${a.id}` }, a.name),
      a.numbers.length === 0 ? h('p', {}, 'No numbers.') : h('ul', {}, a.numbers.map((n) => h('li', {}, n, ' ',
        writer() ? h('button', {
          type: 'button',
          class: 'secondary',
          'aria-label': `Unassign ${n} from ${a.name}`,
          onclick: () => api('DELETE', orgPath(`/agents/${a.id}/numbers/${encodeURIComponent(n)}`)).then(reload, alert),
        }, 'Unassign') : null))),
      writer() ? h('form', {
        class: 'inline-form',
        onsubmit: async (e) => {
          e.preventDefault();
          try {
            if (!input.value.trim()) throw new ApiError(422, { error: { code: 'invalid_phone_number', field: 'number', message: 'enter the number to assign, in E.164 form (for example +14155550100)' } });
            await api('PUT', orgPath(`/agents/${a.id}/numbers/${encodeURIComponent(input.value.trim())}`));
            say(`${input.value.trim()} assigned to ${a.name}`);
            await reload();
          } catch (x) {
            err.textContent = x.message;
            err.hidden = false;
            input.setAttribute('aria-invalid', 'true');
            input.focus();
          }
        },
      },
      h('div', { class: 'field' }, h('label', { for: input.id }, `Number for ${a.name}`), input),
      h('button', { type: 'submit' }, 'Assign'),
      h('button', {
        type: 'button',
        class: 'secondary',
        'aria-label': `Delete agent ${a.name}`,
        onclick: () => api('DELETE', orgPath(`/agents/${a.id}`)).then(reload, alert),
      }, 'Delete agent')) : null,
      err);
  }), pagerOf('#/agents', after, page.next)));
  const name = h('input', { id: 'agent-name', autocomplete: 'off' });
  const nameError = h('p', { class: 'field-error', id: 'e-agent-name', hidden: true });
  name.setAttribute('aria-describedby', 'e-agent-name');
  const form = h('form', {
    class: 'inline-form',
    onsubmit: async (e) => {
      e.preventDefault();
      nameError.hidden = true;
      try {
        const { data } = await api('POST', orgPath('/agents'), { name: name.value.trim() });
        say(`Agent ${data.name} added`);
        name.value = '';
        await reload();
      } catch (x) {
        nameError.textContent = x.message;
        nameError.hidden = false;
        name.focus();
      }
    },
  }, h('div', { class: 'field' }, h('label', { for: 'agent-name' }, 'Agent name'), name), h('button', { type: 'submit' }, 'Add agent'));
  show(await load());
  render([
    h('h1', {}, 'Agents'),
    h('p', { class: 'lead' }, 'Agents use phone numbers; a number must exist (linked on the Numbers tab) before it is assigned.'),
    writer() ? [form, nameError] : null,
    holder,
  ]);
  refresh = reload;
}

// ------------------------------------------------------------------ start

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await api('DELETE', '/v1/session');
  } finally {
    location.hash = '';
    signedOut('Signed out.');
  }
});
window.addEventListener('hashchange', route);

(async () => {
  try {
    const { data } = await api('GET', '/v1/session');
    start(data);
  } catch {
    signedOut(null);
  }
})();
