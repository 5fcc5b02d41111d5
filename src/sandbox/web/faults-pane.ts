import { AI_MODES, type SandboxAiMode, type SandboxFaults } from '../sandbox-protocol';
import { api } from './api';
import { clear, h } from './dom';
import { attempt, onRender, state } from './page';

/** The emulator's and the fake OpenAI's faults, and a log of the bot's Bot API calls. */

interface FaultControl {
  key: Exclude<keyof SandboxFaults, 'openai_mode'>;
  label: string;
  help: string;
  max: number;
  step: number;
  format: (v: number) => string;
  input?: HTMLInputElement;
  output?: HTMLOutputElement;
}

const FAULTS: FaultControl[] = [
  { key: 'bot_api_latency_ms', label: 'Bot API latency, all methods', help: 'every call the bot makes (not the long poll)', max: 5000, step: 50, format: ms },
  { key: 'create_topic_latency_ms', label: 'createForumTopic latency', help: 'the acknowledgement does not wait for it', max: 15000, step: 250, format: ms },
  { key: 'rate_429', label: '429 Too Many Requests', help: 'share of calls refused with retry_after 1–3 s', max: 0.5, step: 0.05, format: (v) => `${Math.round(v * 100)} %` },
  { key: 'openai_latency_ms', label: 'OpenAI latency', help: 'the fake OpenAI server: AI titles and answers', max: 15000, step: 250, format: ms },
];

const AI_MODE_LABELS: Record<SandboxAiMode, string> = {
  ok: 'answers normally',
  error500: 'fails with 500',
  hang: 'never answers',
  refuse: 'refuses to answer',
  empty: 'answers nothing',
  hostile: 'answers with markup and injections',
};

const controls = h('div', { class: 'fault-controls' });
const aiMode = h('select', { 'data-testid': 'fault-openai_mode', 'aria-label': 'How the fake OpenAI answers' });
const aiNote = h('p', { class: 'hint' });
const callLog = h('ol', { class: 'call-log', 'data-testid': 'call-log' });

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(v % 1000 ? 2 : 0)} s` : `${v} ms`;
}

export function buildFaultsPane(): HTMLElement {
  let timer = 0;
  for (const c of FAULTS) {
    c.input = h('input', { type: 'range', min: 0, max: c.max, step: c.step, value: 0, 'data-testid': `fault-${c.key}`, 'aria-label': c.label });
    c.output = h('output', {}, c.format(0));
    c.input.addEventListener('input', () => {
      c.output!.value = c.format(Number(c.input!.value));
      clearTimeout(timer);
      timer = window.setTimeout(pushFaults, 150);
    });
    controls.append(h('label', { class: 'fault' }, h('span', { class: 'fault-label' }, c.label, c.output), c.input, h('small', {}, c.help)));
  }
  for (const mode of AI_MODES) aiMode.append(h('option', { value: mode }, `${mode}: ${AI_MODE_LABELS[mode]}`));
  aiMode.addEventListener('change', pushFaults);
  controls.append(
    h('label', { class: 'fault' }, h('span', { class: 'fault-label' }, 'OpenAI behaviour'), aiMode, h('small', {}, 'the bot falls back to plain titles and no AI answer')),
  );
  const reset = h('button', { type: 'button', class: 'ghost small' }, 'Reset all');
  reset.addEventListener('click', () => {
    const ai = state.data?.openai === 'fake' ? { openai_latency_ms: 0, openai_mode: 'ok' as const } : {};
    void attempt(() => api.setFaults({ bot_api_latency_ms: 0, create_topic_latency_ms: 0, rate_429: 0, ...ai }));
  });
  onRender('faults', renderFaults);
  onRender('calls', renderCalls);

  return h(
    'aside',
    { class: 'pane faults-pane', 'aria-label': 'Faults and timing' },
    h('div', { class: 'pane-title' }, h('h2', {}, 'Faults & timing'), reset),
    h('p', { class: 'hint' }, 'Hold createForumTopic for 5 s and write as a customer: the acknowledgement arrives at once, the topic appears 5 s later.'),
    controls,
    aiNote,
    h('h3', {}, 'Bot API calls'),
    callLog,
  );
}

function pushFaults(): void {
  const change: Partial<SandboxFaults> = Object.fromEntries(FAULTS.map((f) => [f.key, Number(f.input!.value)]));
  if (state.data?.openai === 'fake') change.openai_mode = aiMode.value as SandboxAiMode;
  else delete change.openai_latency_ms;
  void attempt(() => api.setFaults(change));
}

function renderFaults(): void {
  const faults = state.data?.faults;
  if (!faults) return;
  for (const c of FAULTS) {
    if (document.activeElement !== c.input) c.input!.value = String(faults[c.key]);
    c.output!.value = c.format(Number(c.input!.value));
  }
  const ai = state.data?.openai;
  FAULTS.find((c) => c.key === 'openai_latency_ms')!.input!.disabled = ai !== 'fake';
  aiMode.disabled = ai !== 'fake';
  if (document.activeElement !== aiMode) aiMode.value = faults.openai_mode;
  aiNote.textContent =
    ai === 'fake'
      ? 'AI: the fake OpenAI server.'
      : ai === 'real'
        ? 'AI: the real OpenAI (OPENAI_API_KEY is set); its latency is its own.'
        : 'AI: off.';
}

function renderCalls(): void {
  clear(callLog);
  for (const call of [...state.calls].reverse().slice(0, 30)) {
    const cls = call.status === 200 ? 'ok' : call.status === 429 ? 'warn' : 'bad';
    callLog.append(
      h(
        'li',
        { class: cls, title: call.description ?? '' },
        h('span', { class: 'call-method' }, call.method),
        h('span', { class: `call-side ${call.side}` }, call.side),
        h('span', { class: 'call-status' }, String(call.status)),
        h('span', { class: `call-ms${call.ms >= 500 ? ' slow' : ''}` }, ms(call.ms)),
      ),
    );
  }
}
