import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { KnowledgeExcerpt } from './prompts';

/** One heading's worth of a Markdown file (long sections are cut into chunks at paragraph breaks). */
export interface KnowledgeSection {
  /** `en/refunds.md#How long a refund takes`: where an agent finds it. */
  source: string;
  heading: string;
  text: string;
}

export interface SelectionLimits {
  /** Total characters of all selected excerpts: the prompt stays bounded however large the folder is. */
  maxChars: number;
  maxSections: number;
}

export const DEFAULT_LIMITS: SelectionLimits = { maxChars: 6000, maxSections: 4 };
/** A section longer than this is split, so one huge page cannot take the whole budget. */
export const SECTION_MAX_CHARS = 2000;
/** Files beyond this size are skipped (a knowledge base is prose, not data dumps). */
const FILE_MAX_BYTES = 1_000_000;

const STOPWORDS = new Set(
  (
    'the and for you your with this that have has had was were are not but can could how what when where why who which from ' +
    'please hello thanks thank there they them their will would should about into just been also some any our out yes get got ' +
    'does did done its it’s i’m don’t can’t dont cant want need like know help hi dear team support ' +
    'как что это мне меня мой моя мое моё мои для при или если уже ещё еще так там тут где когда почему зачем пожалуйста ' +
    'здравствуйте спасибо вас вам ваш ваша ваши она они оно его её ее был была было были есть нет все всё только можно нужно ' +
    'надо хочу могу может чтобы тоже даже очень этот эта эти тот там после перед через добрый день поддержка'
  ).split(/\s+/),
);

/** Lower-case word stems: a crude prefix stem that catches most English and Russian inflections. */
export function stems(text: string): string[] {
  const words = text.toLowerCase().replace(/ё/g, 'е').match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((w) => w.length >= 3 && !STOPWORDS.has(w)).map((w) => (w.length > 5 ? w.slice(0, 5) : w));
}

/** Splits a Markdown file at its headings (#, ##, ###); each section carries its heading path. */
export function splitMarkdown(file: string, markdown: string): KnowledgeSection[] {
  const sections: KnowledgeSection[] = [];
  const path: string[] = [];
  let heading = '';
  let lines: string[] = [];
  const flush = () => {
    const body = lines.join('\n').trim();
    // A heading with nothing under it (a file's title before its first subsection) is not knowledge.
    if (lines.some((l) => l.trim() && !/^#{1,3}\s/.test(l))) sections.push(...chunk(file, heading, body));
    lines = [];
  };
  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const match = /^(#{1,3})\s+(.+?)\s*#*\s*$/.exec(line);
    if (match) {
      flush();
      const level = match[1].length;
      path.length = level - 1;
      path[level - 1] = match[2];
      heading = path.filter(Boolean).join(' › ');
      lines.push(line);
    } else {
      lines.push(line);
    }
  }
  flush();
  return sections;
}

function chunk(file: string, heading: string, body: string): KnowledgeSection[] {
  const source = heading ? `${file}#${heading}` : file;
  if (body.length <= SECTION_MAX_CHARS) return [{ source, heading, text: body }];
  const out: KnowledgeSection[] = [];
  let current = '';
  for (const paragraph of body.split(/\n\s*\n/)) {
    const piece = paragraph.slice(0, SECTION_MAX_CHARS);
    if (current && current.length + piece.length + 2 > SECTION_MAX_CHARS) {
      out.push({ source, heading, text: current });
      current = heading && !piece.startsWith('#') ? `${heading}\n\n${piece}` : piece;
    } else {
      current = current ? `${current}\n\n${piece}` : piece;
    }
  }
  if (current) out.push({ source, heading, text: current.slice(0, SECTION_MAX_CHARS) });
  return out;
}

/**
 * The sections most relevant to a question, by a simple lexical score: each question word found in a
 * section counts by its rarity across the knowledge base (idf), double when it is in the heading. Only
 * sections sharing at least one word are candidates; the best are taken until the character budget.
 */
/** A section with its word stems worked out once, when the knowledge base is loaded. */
export interface IndexedSection {
  section: KnowledgeSection;
  words: Set<string>;
  heading: Set<string>;
}

export function indexKnowledge(sections: KnowledgeSection[]): IndexedSection[] {
  return sections.map((section) => ({ section, words: new Set(stems(section.text)), heading: new Set(stems(section.heading)) }));
}

export function selectKnowledge(
  sections: KnowledgeSection[] | IndexedSection[],
  question: string,
  limits: SelectionLimits = DEFAULT_LIMITS,
): KnowledgeSection[] {
  const asked = [...new Set(stems(question))];
  if (!asked.length || !sections.length) return [];
  const indexed = 'words' in sections[0] ? (sections as IndexedSection[]) : indexKnowledge(sections as KnowledgeSection[]);
  const df = new Map<string, number>();
  for (const { words } of indexed) for (const w of asked) if (words.has(w)) df.set(w, (df.get(w) ?? 0) + 1);
  const n = indexed.length;
  const scored = indexed
    .map(({ section, words, heading }, order) => {
      let score = 0;
      for (const w of asked) {
        if (!words.has(w)) continue;
        const idf = Math.log(1 + n / (df.get(w) ?? 1));
        score += idf * (heading.has(w) ? 2 : 1);
      }
      return { section, score, order };
    })
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.order - b.order);
  const chosen: KnowledgeSection[] = [];
  let total = 0;
  for (const { section } of scored) {
    if (chosen.length >= limits.maxSections) break;
    if (total + section.text.length > limits.maxChars) continue;
    chosen.push(section);
    total += section.text.length;
  }
  return chosen;
}

/**
 * The Markdown knowledge base in KNOWLEDGE_DIR, read once at startup (restart to pick up edits, as with
 * the category catalog). Only loaded when the AI answers are on.
 */
@Injectable()
export class KnowledgeBase implements OnModuleInit {
  private readonly logger = new Logger('Knowledge');
  private sections: KnowledgeSection[] = [];
  /** Tokenised at load: a question costs a lookup per section, not a re-reading of the whole base. */
  private index: IndexedSection[] = [];

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.openaiApiKey || this.config.aiAnswerMode === 'off') return;
    await this.load(this.config.knowledgeDir);
  }

  async load(dir: string): Promise<void> {
    if (!existsSync(dir)) {
      this.logger.warn(`knowledge base ${dir} not found; the AI will leave every question to the agents`);
      this.sections = [];
      this.index = [];
      return;
    }
    const files = await markdownFiles(dir);
    const sections: KnowledgeSection[] = [];
    for (const file of files) {
      const size = (await stat(file)).size;
      const name = relative(dir, file).split(sep).join('/');
      if (size > FILE_MAX_BYTES) {
        this.logger.warn(`knowledge file ${name} is over ${FILE_MAX_BYTES} bytes; skipped`);
        continue;
      }
      sections.push(...splitMarkdown(name, await readFile(file, 'utf8')));
    }
    this.sections = sections;
    this.index = indexKnowledge(sections);
    this.logger.log(`knowledge base: ${files.length} file(s), ${sections.length} section(s) from ${dir}`);
  }

  select(question: string, limits?: SelectionLimits): KnowledgeExcerpt[] {
    return selectKnowledge(this.index, question, limits).map((s) => ({ source: s.source, text: s.text }));
  }

  get size(): number {
    return this.sections.length;
  }
}

async function markdownFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await markdownFiles(full)));
    // A README describes the folder to its editors; it is not knowledge for customers.
    else if (entry.isFile() && /\.(md|markdown)$/i.test(entry.name) && !/^readme\./i.test(entry.name)) out.push(full);
  }
  return out;
}
