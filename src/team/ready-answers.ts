import { Inject, Injectable } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { APP_CONFIG, AppConfig, LANGUAGES, Language } from '../config/app-config';

export interface ReadyAnswer {
  name: string;
  text: Record<Language, string>;
}

/** Names are typed after /r in a topic: short, no spaces. */
const NAME = /^[a-z0-9_-]{1,32}$/;

export class ReadyAnswersError extends Error {}

/**
 * The Markdown catalog of ready answers: a `## name` heading per answer, a `### en` and a `### ru`
 * section under it with the text. Lines before the first answer (a `# title`, notes) are ignored;
 * `<!-- comments -->` are dropped. Throws naming the exact problem.
 */
export function parseReadyAnswers(markdown: string, file: string): ReadyAnswer[] {
  const answers: { name: string; line: number; text: Partial<Record<Language, string[]>> }[] = [];
  let language: Language | null = null;
  const lines = markdown.replace(/<!--[\s\S]*?-->/g, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    const answer = /^##\s+(.*?)\s*$/.exec(line);
    if (answer && !line.startsWith('###')) {
      const name = answer[1];
      if (!NAME.test(name)) throw new ReadyAnswersError(`${file}:${i + 1}: the answer name "${name}" must be 1-32 characters a-z 0-9 _ -`);
      if (answers.some((a) => a.name === name)) throw new ReadyAnswersError(`${file}:${i + 1}: the answer "${name}" is defined twice`);
      answers.push({ name, line: i + 1, text: {} });
      language = null;
      return;
    }
    const section = /^###\s+(.*?)\s*$/.exec(line);
    if (section) {
      const current = answers.at(-1);
      if (!current) throw new ReadyAnswersError(`${file}:${i + 1}: "### ${section[1]}" must follow an answer's "## name"`);
      if (!(LANGUAGES as readonly string[]).includes(section[1])) throw new ReadyAnswersError(`${file}:${i + 1}: unknown language "${section[1]}" (use ${LANGUAGES.join(', ')})`);
      language = section[1] as Language;
      if (current.text[language]) throw new ReadyAnswersError(`${file}:${i + 1}: the answer "${current.name}" has two "### ${language}" sections`);
      current.text[language] = [];
      return;
    }
    const current = answers.at(-1);
    if (current && language) current.text[language]!.push(line);
    else if (current && line.trim()) throw new ReadyAnswersError(`${file}:${i + 1}: text of the answer "${current.name}" must be under "### en" or "### ru"`);
  });
  return answers.map((a) => {
    const text = {} as Record<Language, string>;
    for (const language of LANGUAGES) {
      const body = (a.text[language] ?? []).join('\n').trim();
      if (!body) throw new ReadyAnswersError(`${file}:${a.line}: the answer "${a.name}" needs a non-empty "### ${language}" text`);
      if (body.length > 3500) throw new ReadyAnswersError(`${file}:${a.line}: the answer "${a.name}" (${language}) is longer than 3500 characters`);
      text[language] = body;
    }
    return { name: a.name, text };
  });
}

/** Edit distance, for "did you mean" when a name is mistyped. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** Fills `{name}` and `{ticket}`; other braces stay as written. */
export function fillAnswer(text: string, vars: { name: string; ticket: number }): string {
  return text.replace(/\{(name|ticket)\}/g, (_, key: 'name' | 'ticket') => String(vars[key]));
}

/**
 * Reads and checks READY_ANSWERS_FILE (none there: no answers), or throws a ReadyAnswersError naming the
 * place. main.ts calls it before anything starts, as it does for the categories.
 */
export function loadReadyAnswers(config: Pick<AppConfig, 'readyAnswersFile'>): ReadyAnswer[] {
  const file = config.readyAnswersFile;
  return existsSync(file) ? parseReadyAnswers(readFileSync(file, 'utf8'), file) : [];
}

/** The ready answers, loaded once from READY_ANSWERS_FILE; a broken file stops the start. */
@Injectable()
export class ReadyAnswers {
  readonly answers: ReadyAnswer[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.answers = loadReadyAnswers(config);
  }

  find(name: string): ReadyAnswer | undefined {
    return this.answers.find((a) => a.name === name.toLowerCase());
  }

  /** Up to three names closest to a mistyped one: those it starts, contains, or is a few edits away from. */
  closest(name: string): string[] {
    const wanted = name.toLowerCase();
    return this.answers
      .map((a) => ({ name: a.name, score: a.name.startsWith(wanted) || a.name.includes(wanted) ? 0 : distance(wanted, a.name) }))
      .filter((a) => a.score <= Math.max(2, Math.floor(wanted.length / 2)))
      .sort((x, y) => x.score - y.score || x.name.localeCompare(y.name))
      .slice(0, 3)
      .map((a) => a.name);
  }
}
