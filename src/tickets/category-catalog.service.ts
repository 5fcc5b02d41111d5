import { Inject, Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { APP_CONFIG, AppConfig, LANGUAGES, Language } from '../config/app-config';

export interface CatalogEntry {
  id: string;
  title: Record<Language, string>;
  subcategories?: CatalogEntry[];
  /** The support group this category's tickets go to (a top-level category only; its subcategories follow it). */
  group?: number;
}

/** Ids travel in callback data (64 bytes at most), so they are short slugs. */
const ID = /^[a-z0-9_-]{1,24}$/;

export class CatalogError extends Error {}

/** The optional "groups" object of the catalog: a support group's id → the label its ticket cards show. */
export function parseGroupLabels(json: string, file: string): Map<number, string> {
  const groups = (JSON.parse(json) as { groups?: unknown }).groups;
  const labels = new Map<number, string>();
  if (groups === undefined) return labels;
  if (typeof groups !== 'object' || groups === null || Array.isArray(groups)) throw new CatalogError(`${file}: "groups" must be an object of group id → label`);
  for (const [id, label] of Object.entries(groups)) {
    if (!/^-100\d+$/.test(id)) throw new CatalogError(`${file}: groups has the key "${id}", which is not a supergroup id starting with -100`);
    if (typeof label !== 'string' || !label.trim() || label.length > 60) throw new CatalogError(`${file}: groups["${id}"] must be a label of 1-60 characters`);
    labels.set(Number(id), label.trim());
  }
  return labels;
}

/** Validates the operator-edited catalog and returns its categories, or throws naming the exact problem. */
export function parseCatalog(json: string, file: string): CatalogEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new CatalogError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const categories = (data as { categories?: unknown })?.categories;
  if (!Array.isArray(categories) || categories.length === 0) throw new CatalogError(`${file} must have a non-empty "categories" array`);
  const check = (entry: unknown, where: string, depth: number): CatalogEntry => {
    const e = entry as Partial<CatalogEntry>;
    if (typeof e?.id !== 'string' || !ID.test(e.id)) throw new CatalogError(`${file}: ${where} needs an "id" of 1-24 characters a-z 0-9 _ -`);
    for (const language of LANGUAGES) {
      const title = e.title?.[language];
      if (typeof title !== 'string' || !title.trim() || title.length > 60)
        throw new CatalogError(`${file}: ${where} ("${e.id}") needs a title.${language} of 1-60 characters`);
    }
    let group: number | undefined;
    if (e.group !== undefined) {
      if (depth > 0) throw new CatalogError(`${file}: ${where} ("${e.id}") is a subcategory; name the group on its category`);
      if (!/^-100\d+$/.test(String(e.group))) throw new CatalogError(`${file}: ${where} ("${e.id}").group must be a supergroup id starting with -100`);
      group = Number(e.group);
    }
    if (e.subcategories !== undefined) {
      if (depth > 0) throw new CatalogError(`${file}: ${where} ("${e.id}") is a subcategory and cannot have subcategories`);
      if (!Array.isArray(e.subcategories)) throw new CatalogError(`${file}: ${where} ("${e.id}").subcategories must be an array`);
      const subs = e.subcategories.map((s, i) => check(s, `${where}.subcategories[${i}]`, depth + 1));
      unique(subs, `${where} ("${e.id}")`);
      return { id: e.id, title: e.title as Record<Language, string>, subcategories: subs.length ? subs : undefined, ...(group ? { group } : {}) };
    }
    return { id: e.id, title: e.title as Record<Language, string>, ...(group ? { group } : {}) };
  };
  const parsed = categories.map((c, i) => check(c, `categories[${i}]`, 0));
  unique(parsed, 'categories');
  return parsed;

  function unique(entries: CatalogEntry[], where: string) {
    const seen = new Set<string>();
    for (const entry of entries) {
      if (seen.has(entry.id)) throw new CatalogError(`${file}: ${where} has the id "${entry.id}" twice`);
      seen.add(entry.id);
    }
  }
}

/**
 * Reads and checks CATEGORIES_FILE against the configuration, or throws a CatalogError naming the
 * problem. main.ts calls it before anything starts, so a broken file is one line for the operator.
 */
export function loadCategoryCatalog(config: Pick<AppConfig, 'categoriesFile' | 'supportChatIds'>): { categories: CatalogEntry[]; groupLabels: Map<number, string> } {
  const json = readFileSync(config.categoriesFile, 'utf8');
  const categories = parseCatalog(json, config.categoriesFile);
  const groupLabels = parseGroupLabels(json, config.categoriesFile);
  for (const category of categories) {
    if (category.group !== undefined && !config.supportChatIds.includes(category.group))
      throw new CatalogError(`${config.categoriesFile}: the category "${category.id}" names the group ${category.group}, which SUPPORT_CHAT_ID does not list`);
  }
  return { categories, groupLabels };
}

/** The category tree customers choose from, loaded once from CATEGORIES_FILE. */
@Injectable()
export class CategoryCatalog {
  readonly categories: CatalogEntry[];
  private readonly groupLabels: Map<number, string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    ({ categories: this.categories, groupLabels: this.groupLabels } = loadCategoryCatalog(config));
  }

  /** The label the catalog gives a support group, if any (shown on its ticket cards). */
  groupLabel(groupId: number): string | undefined {
    return this.groupLabels.get(groupId);
  }

  /** The group the category names for its tickets, if any. */
  groupOf(categoryId: string | null | undefined): number | undefined {
    return this.categories.find((c) => c.id === categoryId)?.group;
  }

  find(categoryId: string | null | undefined, subcategoryId?: string | null): { category?: CatalogEntry; subcategory?: CatalogEntry } {
    const category = this.categories.find((c) => c.id === categoryId);
    const subcategory = subcategoryId ? category?.subcategories?.find((s) => s.id === subcategoryId) : undefined;
    return { category, subcategory };
  }

  /** "Payments and refunds › Refund" in the given language, or the raw ids if the catalog changed since. */
  label(language: Language, categoryId: string | null, subcategoryId?: string | null): string {
    const { category, subcategory } = this.find(categoryId, subcategoryId);
    const first = category?.title[language] ?? categoryId ?? '—';
    if (!subcategoryId) return first;
    return `${first} › ${subcategory?.title[language] ?? subcategoryId}`;
  }
}
