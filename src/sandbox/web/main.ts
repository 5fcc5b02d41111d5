import { subscribe } from './api';
import { buildCustomerPane } from './customer-pane';
import { h } from './dom';
import { buildFaultsPane } from './faults-pane';
import { buildForumPane, topicsByActivity } from './forum-pane';
import { GENERAL, invalidate, state, supportId, threadOf, toast, toasts } from './page';

/**
 * The sandbox page: the customer's Telegram chat, the support group's forum and the fault panel, side
 * by side, kept current by the control API's event stream.
 */

const status = h('span', { class: 'status', 'data-testid': 'status' }, 'connecting…');

function buildPage(root: HTMLElement): void {
  const layout = h('main', { class: 'layout with-faults' }, buildCustomerPane(), buildForumPane(), buildFaultsPane());
  const faultsToggle = h('button', { class: 'ghost', type: 'button', 'aria-expanded': 'true' }, 'Faults & timing');
  faultsToggle.addEventListener('click', () => {
    faultsToggle.setAttribute('aria-expanded', String(layout.classList.toggle('with-faults')));
  });
  const header = h(
    'header',
    { class: 'topbar' },
    h(
      'div',
      { class: 'brand' },
      h('span', { class: 'logo', 'aria-hidden': 'true' }, '✈'),
      h('div', {}, h('h1', {}, 'Helpdesk sandbox'), h('p', {}, 'the real bot · an emulated Telegram · nothing leaves this machine')),
    ),
    h('div', { class: 'topbar-right' }, status, faultsToggle),
  );
  root.append(header, layout, toasts);

  // Spoilers open on a click, as in Telegram.
  document.addEventListener('click', (e) => {
    (e.target as Element).closest?.('.spoiler')?.classList.add('revealed');
  });
}

function setLive(live: boolean): void {
  status.textContent = live ? 'live' : 'reconnecting…';
  status.classList.toggle('live', live);
}

buildPage(document.getElementById('app')!);
subscribe(
  {
    snapshot: (data) => {
      state.data = data;
      state.chats = new Map(Object.entries(data.chats).map(([id, list]) => [Number(id), new Map(list.map((m) => [m.message_id, m]))]));
      state.calls = data.calls;
      if (!data.customers.some((c) => c.id === state.customer)) state.customer = data.customers[0]?.id;
      const known = state.topic === GENERAL || data.topics.some((t) => t.message_thread_id === state.topic);
      if (!known) state.topic = topicsByActivity()[0]?.message_thread_id;
      invalidate('customers', 'customerChat', 'topics', 'topicView', 'faults', 'calls');
    },
    message: ({ chat_id, message }) => {
      let chat = state.chats.get(chat_id);
      if (!chat) state.chats.set(chat_id, (chat = new Map()));
      const isNew = !chat.has(message.message_id);
      chat.set(message.message_id, message);
      if (chat_id === supportId()) {
        invalidate('topics');
        if (threadOf(message) === state.topic) invalidate('topicView');
      } else if (chat_id === state.customer) {
        invalidate('customerChat');
      } else if (isNew && message.from?.is_bot) {
        state.unreadCustomers.add(chat_id);
        invalidate('customers');
      }
    },
    removed: ({ chat_id, message_id }) => {
      state.chats.get(chat_id)?.delete(message_id);
      invalidate(chat_id === supportId() ? 'topicView' : 'customerChat', 'topics');
    },
    topics: (topics) => {
      if (!state.data) return;
      const fresh = topics.filter((t) => !state.data!.topics.some((o) => o.message_thread_id === t.message_thread_id));
      state.data.topics = topics;
      // A new ticket while the agent looks at nothing in particular: show it.
      if (fresh.length && (state.topic === undefined || state.topic === GENERAL)) state.topic = fresh[fresh.length - 1].message_thread_id;
      invalidate('topics', 'topicView');
    },
    customers: (customers) => {
      if (!state.data) return;
      state.data.customers = customers;
      state.customer ??= customers[0]?.id;
      invalidate('customers', 'customerChat');
    },
    faults: (faults) => {
      if (!state.data) return;
      state.data.faults = faults;
      invalidate('faults');
    },
    call: (call) => {
      state.calls.push(call);
      if (state.calls.length > 40) state.calls.shift();
      invalidate('calls');
    },
    toast: ({ user_id, text }) => {
      if (user_id === state.customer || user_id === state.data?.agent.id) toast(text);
    },
  },
  setLive,
);
