// The catcher's page: the list of messages, kept up to date by the server's events, and one
// message at a time. Everything from a message is put in the page as text (never as HTML); its
// HTML part is shown by the server in a sandboxed frame.

const $ = (id) => document.getElementById(id);
const list = $('list');
const search = $('search');
const main = $('main');

const state = {
  /** The messages listed, newest first. */
  messages: [],
  /** The id of the message open, if any. */
  open: null,
  /** The open message in full. */
  detail: null,
  view: 'html',
  images: false,
  links: false,
  release: false,
};

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? response.statusText);
  return body;
}

function status(text) {
  $('status').textContent = text;
}

// The list

async function refresh() {
  const params = new URLSearchParams({ limit: '500' });
  if (search.value.trim() !== '') params.set('q', search.value.trim());
  const { messages, total } = await api(`/api/messages?${params}`);
  state.messages = messages;
  renderList();
  status(`${total} message${total === 1 ? '' : 's'}`);
}

function mailbox(m) {
  if (m === null || m === undefined) return '';
  return m.name === '' ? m.address : `${m.name} <${m.address}>`;
}

function when(iso) {
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderList() {
  const focused = document.activeElement?.closest?.('#list [role="option"]')?.dataset.id;
  list.replaceChildren(
    ...state.messages.map((m) => {
      const item = element('div');
      item.dataset.id = m.id;
      item.setAttribute('role', 'option');
      item.setAttribute('aria-selected', String(m.id === state.open));
      item.tabIndex = -1;
      const who = m.from === null ? m.envelope.from : m.from.name || m.from.address;
      item.append(
        element('span', 'who', who || '(no sender)'),
        element('time', 'when', when(m.envelope.receivedAt)),
        element('span', 'subject', m.subject || '(no subject)'),
        element('span', 'snippet', m.snippet),
      );
      return item;
    }),
  );
  $('empty').hidden = state.messages.length > 0;
  // One item takes Tab (the open one, else the first); the arrows move between them.
  const items = [...list.children];
  const current = items.find((li) => li.dataset.id === state.open) ?? items[0];
  if (current) current.tabIndex = 0;
  if (focused) items.find((li) => li.dataset.id === focused)?.focus();
}

list.addEventListener('click', (event) => {
  const li = event.target.closest('[role="option"]');
  if (li) openMessage(li.dataset.id);
});

list.addEventListener('keydown', (event) => {
  const li = event.target.closest('[role="option"]');
  if (!li) return;
  const step = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 }[event.key];
  if (step !== undefined) {
    event.preventDefault();
    const next = step > 0 ? li.nextElementSibling : li.previousElementSibling;
    if (next) {
      li.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
      openMessage(next.dataset.id);
    }
  } else if (event.key === 'Enter') {
    openMessage(li.dataset.id, true);
  } else if (event.key === 'Delete' || event.key === 'Backspace') {
    event.preventDefault();
    deleteMessage(li.dataset.id);
  }
});

// One message

async function openMessage(id, focusMessage = false) {
  state.open = id;
  state.images = false;
  state.links = false;
  for (const li of list.children) li.setAttribute('aria-selected', String(li.dataset.id === id));
  let detail;
  try {
    detail = await api(`/api/messages/${encodeURIComponent(id)}`);
  } catch (error) {
    status(error.message);
    return;
  }
  if (state.open !== id) return; // another was opened meanwhile
  state.detail = detail;
  renderMessage(detail);
  main.classList.add('reading');
  $('message-pane').hidden = false;
  if (focusMessage) $('back').focus();
}

function field(dl, name, value, extra) {
  if (value === '' || value === undefined) return;
  const dd = element('dd', '', value);
  if (extra) dd.append(extra);
  dl.append(element('dt', '', name), dd);
}

function renderMessage(m) {
  $('subject').textContent = m.subject || '(no subject)';
  const addresses = $('addresses');
  addresses.replaceChildren();
  field(addresses, 'From', mailbox(m.from));
  field(addresses, 'To', m.to.map(mailbox).join(', '));
  field(addresses, 'Cc', m.cc.map(mailbox).join(', '));
  field(addresses, 'Bcc', m.bcc.join(', '));
  field(addresses, 'Date', m.date ?? '');

  const envelope = $('envelope');
  envelope.replaceChildren();
  const e = m.envelope;
  field(envelope, 'MAIL FROM', `<${e.from}>`);
  for (const rcpt of e.to) {
    field(envelope, 'RCPT TO', `<${rcpt}>`, m.bcc.includes(rcpt) ? element('span', 'bcc', 'Bcc') : undefined);
  }
  field(envelope, 'Client', [e.client, e.helo && `(HELO ${e.helo})`].filter(Boolean).join(' '));
  field(envelope, 'User', e.user ?? '');
  field(envelope, 'TLS', e.secure ? 'yes' : 'no');
  field(envelope, 'Received', new Date(e.receivedAt).toLocaleString());
  field(envelope, 'Size', `${e.size} octets`);
  if (!m.envelopeStored) field(envelope, 'Note', 'no envelope was stored: read from the headers');

  $('attachments').replaceChildren(
    ...m.attachmentList.map((a) => {
      const link = element('a', '', `${a.filename} (${a.contentType}, ${a.size} octets)`);
      link.href = `/api/messages/${encodeURIComponent(m.id)}/attachments/${a.index}`;
      link.download = a.filename;
      const li = element('li');
      li.append(link);
      return li;
    }),
  );

  const headers = $('headers');
  headers.replaceChildren(
    ...m.headers.map((h) => {
      const row = element('tr');
      row.append(element('th', '', h.name), element('td', '', h.value));
      return row;
    }),
  );
  $('view-text').textContent = m.text ?? '';
  $('view-raw').textContent = '';
  const htmlTab = document.querySelector('[data-view="html"]');
  htmlTab.disabled = m.html === null;
  const textTab = document.querySelector('[data-view="text"]');
  textTab.disabled = m.text === null;
  const preferred = state.view === 'html' && m.html === null ? 'text' : state.view;
  showView(preferred === 'text' && m.text === null ? 'headers' : preferred, false);
}

function htmlSource() {
  const params = new URLSearchParams();
  if (state.images) params.set('images', '1');
  if (state.links) params.set('links', '1');
  return `/api/messages/${encodeURIComponent(state.open)}/html?${params}`;
}

function showHtml() {
  // A fresh frame each time: its sandbox takes effect when it loads. No scripts and no origin of
  // its own; popups (for links) only once the user has allowed them.
  const old = $('html-frame');
  const frame = element('iframe');
  frame.id = 'html-frame';
  frame.title = 'HTML part';
  frame.setAttribute('sandbox', state.links ? 'allow-popups allow-popups-to-escape-sandbox' : '');
  frame.setAttribute('referrerpolicy', 'no-referrer');
  frame.src = htmlSource();
  old.replaceWith(frame);
  $('load-images').disabled = state.images;
  $('allow-links').disabled = state.links;
}

async function showView(view, remember = true) {
  if (remember) state.view = view;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.setAttribute('aria-selected', String(tab.dataset.view === view));
  }
  for (const name of ['html', 'text', 'headers', 'raw']) $(`view-${name}`).hidden = name !== view;
  if (view === 'html') showHtml();
  if (view === 'raw') {
    const response = await fetch(`/api/messages/${encodeURIComponent(state.open)}/raw`);
    $('view-raw').textContent = await response.text();
  }
}

for (const tab of document.querySelectorAll('[role="tab"]')) {
  tab.addEventListener('click', () => showView(tab.dataset.view));
}

$('load-images').addEventListener('click', () => {
  state.images = true;
  showHtml();
});
$('allow-links').addEventListener('click', () => {
  state.links = true;
  showHtml();
});

function closeMessage() {
  state.open = null;
  state.detail = null;
  $('message-pane').hidden = true;
  main.classList.remove('reading');
  renderList();
}

$('back').addEventListener('click', () => {
  const id = state.open;
  closeMessage();
  [...list.children].find((li) => li.dataset.id === id)?.focus();
});

async function deleteMessage(id) {
  const index = state.messages.findIndex((m) => m.id === id);
  await api(`/api/messages/${encodeURIComponent(id)}`, { method: 'DELETE' });
  // The next message takes the focus (the event that follows removes this one from the list).
  const next = state.messages[index + 1] ?? state.messages[index - 1];
  removeMessages([id]);
  if (next) {
    const li = [...list.children].find((item) => item.dataset.id === next.id);
    li?.focus();
  }
}

$('delete').addEventListener('click', () => deleteMessage(state.open));

$('delete-all').addEventListener('click', async () => {
  if (!confirm('Delete every message?')) return;
  await api('/api/messages', { method: 'DELETE' });
  removeMessages(state.messages.map((m) => m.id));
});

$('release').addEventListener('click', async () => {
  const id = state.open;
  const message = state.messages.find((m) => m.id === id);
  if (message === undefined) return;
  // Release sends only to the message's own recipients: all of them, or those left in the list.
  const answer = prompt(
    'Release to (recipients of this message, separated by commas):',
    message.envelope.to.join(', '),
  );
  if (answer === null) return;
  const to = answer
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  try {
    const outcome = await api(`/api/messages/${encodeURIComponent(id)}/release`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(to.length > 0 ? { to } : {}),
    });
    status(`released to ${outcome.accepted.join(', ')}`);
  } catch (error) {
    status(error.message);
  }
});

function removeMessages(ids) {
  const gone = new Set(ids);
  state.messages = state.messages.filter((m) => !gone.has(m.id));
  if (state.open !== null && gone.has(state.open)) closeMessage();
  else renderList();
  status(`${state.messages.length} message${state.messages.length === 1 ? '' : 's'}`);
}

// Search: as one types, after a pause; '/' goes to it, Escape back to the list.

let typing;
search.addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(refresh, 200);
});
search.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' || event.key === 'ArrowDown') {
    event.preventDefault();
    list.querySelector('[tabindex="0"]')?.focus();
  }
});

document.addEventListener('keydown', (event) => {
  const typingInField = event.target.closest?.('input, textarea');
  if (event.key === '/' && !typingInField) {
    event.preventDefault();
    search.focus();
    search.select();
  } else if (event.key === 'Escape' && state.open !== null && !typingInField) {
    $('back').click();
  }
});

// Live: the server says when a message arrives or goes. A burst of arrivals is one refresh.

let refreshing;
function refreshSoon() {
  clearTimeout(refreshing);
  refreshing = setTimeout(() => refresh().catch((error) => status(error.message)), 50);
}

function listen() {
  const events = new EventSource('/api/events');
  events.addEventListener('open', refreshSoon);
  events.addEventListener('message', refreshSoon);
  events.addEventListener('delete', (event) => removeMessages(JSON.parse(event.data).ids));
  events.addEventListener('error', () => status('reconnecting…'));
}

api('/api/info')
  .then((info) => {
    state.release = info.release;
    $('release').hidden = !info.release;
  })
  .catch(() => {});
refresh().catch((error) => status(error.message));
listen();
