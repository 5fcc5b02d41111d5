import type { InlineKeyboardButton, TgMessage, TgUser } from '../emulator/types';
import { api } from './api';
import { clear, h, icon, keepAtBottom } from './dom';
import { renderMessage } from './messages';
import { attempt, clearInput, enterSends, invalidate, messagesOf, nameOf, onRender, reveal, state, toast } from './page';

/** The customer's side: their private chat with the bot, as in Telegram. */

const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const LANGUAGES: [string, string][] = [
  ['en', 'Language: English (en)'],
  ['ru', 'Language: Русский (ru)'],
  ['de', 'Language: Deutsch (de), not offered'],
  ['', 'Language: not set'],
];

const tabs = h('div', { class: 'customer-tabs', role: 'tablist', 'aria-label': 'Customers' });
const addToggle = h('button', { class: 'ghost small', type: 'button', 'data-testid': 'add-customer' }, '+ Customer');
const addForm = h('form', { class: 'add-customer', hidden: true, 'data-testid': 'add-customer-form' });
const chatHeader = h('div', { class: 'chat-header' });
const list = h('div', { class: 'messages customer-bg', 'data-testid': 'customer-messages', 'aria-live': 'polite' });
const startBar = h('div', { class: 'start-bar', hidden: true });
const composer = h('form', { class: 'composer' });
const input = h('textarea', { rows: 1, placeholder: 'Message', 'data-testid': 'customer-input', 'aria-label': 'Message to the bot' });
const photoInput = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp', hidden: true, 'data-testid': 'customer-photo' });

export function buildCustomerPane(): HTMLElement {
  addToggle.addEventListener('click', () => {
    addForm.hidden = !addForm.hidden;
    if (!addForm.hidden) addForm.querySelector('input')?.focus();
  });
  buildAddForm();
  startBar.append(h('button', { type: 'button', class: 'start', 'data-testid': 'start', onclick: () => void sendText('/start') }, 'START'));
  const attach = h('button', { type: 'button', class: 'icon-button', title: 'Send a picture from disk', 'aria-label': 'Send a picture', 'data-testid': 'attach' }, icon('attach'));
  attach.addEventListener('click', () => photoInput.click());
  photoInput.addEventListener('change', () => void sendPhoto());
  composer.append(attach, photoInput, input, h('button', { type: 'submit', class: 'send', 'data-testid': 'customer-send', 'aria-label': 'Send' }, 'Send'));
  composer.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim()) void sendText(input.value, true);
  });
  enterSends(input, composer);
  onRender('customers', renderTabs);
  onRender('customerChat', renderChat);

  return h(
    'section',
    { class: 'pane customer-pane', 'aria-label': 'The customer in Telegram' },
    h('div', { class: 'pane-title' }, h('h2', {}, 'Customer'), h('span', {}, 'private chat with the bot')),
    h('div', { class: 'customer-bar' }, tabs, addToggle),
    addForm,
    chatHeader,
    h('div', { class: 'chat-wrap' }, list),
    startBar,
    composer,
  );
}

function buildAddForm(): void {
  const first = h('input', { name: 'first_name', required: true, maxlength: 64, placeholder: 'First name', 'aria-label': 'First name', 'data-testid': 'new-first-name' });
  const last = h('input', { name: 'last_name', maxlength: 64, placeholder: 'Last name (optional)', 'aria-label': 'Last name' });
  const username = h('input', { name: 'username', maxlength: 33, placeholder: '@username (optional)', 'aria-label': 'Username' });
  const language = h('select', { name: 'language_code', 'aria-label': 'Telegram language', 'data-testid': 'new-language' });
  for (const [code, label] of LANGUAGES) language.append(h('option', { value: code }, label));
  addForm.append(
    h('b', {}, 'New customer'),
    h('div', { class: 'form-grid' }, first, last, username, language),
    h(
      'div',
      { class: 'form-row end' },
      h('button', { type: 'button', class: 'ghost small', onclick: () => (addForm.hidden = true) }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary small', 'data-testid': 'new-submit' }, 'Add customer'),
    ),
  );
  addForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void attempt(async () => {
      const user = await api.addCustomer({
        first_name: first.value,
        last_name: last.value || undefined,
        username: username.value || undefined,
        language_code: language.value || undefined,
      });
      addForm.reset();
      addForm.hidden = true;
      selectCustomer(user.id);
    });
  });
}

function selectCustomer(id: number): void {
  if (state.customer !== id) input.value = '';
  state.customer = id;
  state.unreadCustomers.delete(id);
  invalidate('customers', 'customerChat');
  input.focus();
}

function avatar(user: TgUser, size = ''): HTMLElement {
  const hue = (user.id * 47) % 360;
  const initials = [user.first_name, user.last_name].filter(Boolean).map((s) => [...s!][0]).join('').toUpperCase();
  return h('span', { class: `avatar ${size}`, style: `--hue:${hue}`, 'aria-hidden': 'true' }, initials || '?');
}

function renderTabs(): void {
  clear(tabs);
  for (const user of state.data?.customers ?? []) {
    const selected = user.id === state.customer;
    tabs.append(
      h(
        'button',
        { type: 'button', role: 'tab', class: `tab${selected ? ' selected' : ''}`, 'aria-selected': String(selected), 'data-testid': 'customer-tab', onclick: () => selectCustomer(user.id) },
        avatar(user, 'tiny'),
        h('span', { title: nameOf(user) }, user.first_name),
        user.language_code ? h('small', {}, user.language_code) : null,
        state.unreadCustomers.has(user.id) ? h('span', { class: 'dot', title: 'new messages' }) : null,
      ),
    );
  }
}

function renderChat(): void {
  const user = state.data?.customers.find((c) => c.id === state.customer);
  clear(chatHeader);
  if (!user) {
    clear(list);
    startBar.hidden = true;
    return;
  }
  const bot = state.data!.bot;
  const about = [user.username ? `@${user.username}` : '', `language ${user.language_code ?? 'not set'}`].filter(Boolean).join(' · ');
  chatHeader.append(
    avatar(bot),
    h('div', {}, h('b', {}, nameOf(bot)), h('small', {}, `@${bot.username} · bot`)),
    h('div', { class: 'viewer' }, h('small', {}, 'seen by'), h('b', {}, nameOf(user)), h('small', {}, about)),
  );
  const messages = messagesOf(user.id);
  startBar.hidden = messages.length > 0;
  composer.hidden = messages.length === 0;
  keepAtBottom(list, () => {
    clear(list);
    if (!messages.length) list.append(h('div', { class: 'empty' }, h('b', {}, 'A new chat with the bot'), 'Press START, as a Telegram user would.'));
    for (const m of messages) {
      list.append(
        renderMessage(m, {
          mine: m.from?.id === user.id,
          nameOf,
          onButton: (button) => void press(user.id, m, button),
          onQuoteClick: (id) => reveal(list, id),
        }),
      );
    }
  });
}

function press(userId: number, m: TgMessage, button: InlineKeyboardButton): Promise<boolean> | undefined {
  const data = button.callback_data;
  return data ? attempt(() => api.customerClick(userId, m.message_id, data)) : undefined;
}

async function sendText(text: string, fromInput = false): Promise<void> {
  const id = state.customer;
  if (!id) return;
  if ((await attempt(() => api.customerText(id, text))) && fromInput) clearInput(input);
}

async function sendPhoto(): Promise<void> {
  const file = photoInput.files?.[0];
  photoInput.value = '';
  const id = state.customer;
  if (!file || !id) return;
  if (file.size > MAX_PHOTO_BYTES) return toast('Telegram takes photos up to 10 MB', 'error');
  let size: { width?: number; height?: number };
  try {
    const bitmap = await createImageBitmap(file);
    size = { width: bitmap.width, height: bitmap.height };
    bitmap.close();
  } catch {
    return toast('This file is not a picture the browser can read', 'error');
  }
  const caption = input.value.trim() || undefined;
  if (await attempt(() => api.customerPhoto(id, file, { caption, ...size }))) clearInput(input);
}
