import type { InlineKeyboardButton, TgMessage, TopicInfo } from '../emulator/types';
import { api } from './api';
import { append, clear, h, icon, keepAtBottom } from './dom';
import { preview, renderMessage } from './messages';
import { attempt, clearInput, enterSends, GENERAL, invalidate, messagesOf, nameOf, onRender, reveal, state, supportId, threadOf } from './page';

/** The support group as its agents see it: the forum's topics, one per ticket, and the agent's composer. */

/** An agent's internal note, which the bot keeps in the group: "// text" or "/note text". */
const NOTE = /^\s*(\/\/|\/note(@\w+)?(\s|$))/i;

const topicList = h('nav', { class: 'topic-list', 'data-testid': 'topics', 'aria-label': 'Topics' });
const topicHeader = h('div', { class: 'topic-header' });
const list = h('div', { class: 'messages forum-bg', 'data-testid': 'topic-messages', 'aria-live': 'polite' });
const replyBar = h('div', { class: 'reply-bar', hidden: true });
const composer = h('form', { class: 'composer' });
const input = h('textarea', { rows: 1, placeholder: 'Choose a topic', disabled: true, 'data-testid': 'agent-input', 'aria-label': 'Message as the agent' });

export function buildForumPane(): HTMLElement {
  composer.append(input, h('button', { type: 'submit', class: 'send', 'data-testid': 'agent-send', 'aria-label': 'Send' }, 'Send'));
  composer.addEventListener('submit', (e) => {
    e.preventDefault();
    void sendText(input.value);
  });
  enterSends(input, composer);
  onRender('topics', renderTopics);
  onRender('topicView', renderTopicView);

  const hint = h(
    'p',
    { class: 'composer-hint' },
    h('code', {}, '//'),
    ' at the start: an internal note, kept in the group · ',
    h('code', {}, '/close'),
    ' and ',
    h('code', {}, '/reopen'),
    ': the ticket',
  );
  return h(
    'section',
    { class: 'pane forum-pane', 'aria-label': 'The support group' },
    h('div', { class: 'pane-title' }, h('h2', {}, 'Support group'), h('span', {}, 'a forum: one topic per ticket; you write as the agent')),
    h('div', { class: 'forum' }, topicList, h('div', { class: 'topic-view' }, topicHeader, list, replyBar, composer, hint)),
  );
}

/** Topics with the latest activity first. */
export function topicsByActivity(): TopicInfo[] {
  const last = new Map<number, number>();
  for (const m of messagesOf(supportId())) last.set(threadOf(m), m.message_id);
  const activity = (t: TopicInfo) => last.get(t.message_thread_id) ?? t.message_thread_id;
  return [...(state.data?.topics ?? [])].sort((a, b) => activity(b) - activity(a));
}

function threadMessages(thread: number): TgMessage[] {
  return messagesOf(supportId()).filter((m) => threadOf(m) === thread);
}

function selectTopic(thread: number): void {
  if (state.topic !== thread) setReply(undefined);
  state.topic = thread;
  invalidate('topics', 'topicView');
}

function renderTopics(): void {
  clear(topicList);
  const agentId = state.data?.agent.id;
  const entry = (thread: number, name: string, color: number | undefined, closed: boolean) => {
    const messages = threadMessages(thread);
    const last = [...messages].reverse().find((m) => !m.forum_topic_created);
    const seen = state.seen.get(thread) ?? 0;
    const unread = thread === state.topic ? 0 : messages.filter((m) => m.message_id > seen && m.from?.id !== agentId).length;
    const selected = thread === state.topic;
    return h(
      'button',
      {
        type: 'button',
        class: `topic${selected ? ' selected' : ''}${closed ? ' closed' : ''}`,
        'aria-current': selected ? 'true' : undefined,
        'data-testid': 'topic',
        'data-thread': thread,
        onclick: () => selectTopic(thread),
      },
      h('span', { class: 'topic-icon', style: color !== undefined ? `--topic:#${color.toString(16).padStart(6, '0')}` : '' }, thread === GENERAL ? '#' : ''),
      h(
        'span',
        { class: 'topic-text' },
        h('span', { class: 'topic-name' }, name),
        h('span', { class: 'topic-preview' }, last ? `${last.from?.is_bot ? '' : `${nameOf(last.from)}: `}${preview(last)}` : 'no messages yet'),
      ),
      h(
        'span',
        { class: 'topic-side' },
        closed ? h('span', { class: 'topic-lock', title: 'closed' }, icon('lock')) : null,
        unread ? h('span', { class: 'badge unread' }, String(unread)) : null,
      ),
    );
  };
  const topics = topicsByActivity();
  if (!topics.length) topicList.append(h('p', { class: 'topics-empty' }, 'No tickets yet. A customer’s first message opens one.'));
  for (const t of topics) topicList.append(entry(t.message_thread_id, t.name, t.icon_color, t.closed));
  topicList.append(entry(GENERAL, 'General', undefined, false));
}

function renderTopicView(): void {
  const thread = state.topic;
  const topic = state.data?.topics.find((t) => t.message_thread_id === thread);
  const agent = state.data?.agent;
  clear(topicHeader);
  if (thread === undefined || (thread !== GENERAL && !topic) || !agent) {
    clear(list);
    list.append(h('div', { class: 'empty' }, h('b', {}, 'No topic selected'), 'Each ticket becomes a topic here. Choose one on the left.'));
    input.disabled = true;
    input.placeholder = 'Choose a topic';
    return;
  }
  const closed = topic?.closed ?? false;
  const command = (label: string, text: string, testId: string) =>
    h('button', { type: 'button', class: 'ghost small', title: `Sends ${text} in this topic`, 'data-testid': testId, onclick: () => void sendText(text) }, label);
  append(
    topicHeader,
    h(
      'div',
      { class: 'topic-title' },
      h('b', { 'data-testid': 'topic-title' }, topic?.name ?? 'General'),
      h('span', { class: `badge ${closed ? 'closed' : 'open'}`, 'data-testid': 'topic-state' }, closed ? 'closed' : 'open'),
    ),
    topic ? (closed ? command('Reopen ticket', '/reopen', 'reopen-ticket') : command('Close ticket', '/close', 'close-ticket')) : null,
  );
  input.disabled = false;
  input.placeholder = `Message as ${nameOf(agent)}`;
  const messages = threadMessages(thread);
  state.seen.set(thread, messages.at(-1)?.message_id ?? 0);
  keepAtBottom(list, () => {
    clear(list);
    for (const m of messages) {
      const mine = m.from?.id === agent.id;
      list.append(
        renderMessage(m, {
          mine,
          sender: mine ? undefined : m.from?.is_bot ? `${nameOf(m.from)} · bot` : nameOf(m.from),
          note: mine && NOTE.test(m.text ?? ''),
          rootId: thread || undefined,
          nameOf,
          onReply: () => setReply(m),
          onButton: (button) => void press(m, button),
          onQuoteClick: (id) => reveal(list, id),
        }),
      );
    }
  });
}

function press(m: TgMessage, button: InlineKeyboardButton): Promise<boolean> | undefined {
  const data = button.callback_data;
  return data ? attempt(() => api.agentClick(m.message_id, data)) : undefined;
}

function setReply(m: TgMessage | undefined): void {
  state.replyTo = m;
  clear(replyBar);
  replyBar.hidden = !m;
  if (!m) return;
  replyBar.append(
    h('span', { class: 'reply-icon' }, icon('reply')),
    h('div', {}, h('b', {}, `Reply to ${nameOf(m.from)}`), h('span', {}, preview(m))),
    h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Cancel the reply', onclick: () => setReply(undefined) }, icon('close')),
  );
  input.focus();
}

async function sendText(text: string): Promise<void> {
  const thread = state.topic;
  if (!text.trim() || thread === undefined) return;
  const sent = await attempt(() => api.agentText(text, thread || undefined, state.replyTo?.message_id));
  if (!sent) return;
  if (text === input.value) clearInput(input);
  setReply(undefined);
}
