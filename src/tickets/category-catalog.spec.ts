import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCatalog } from './category-catalog.service';

describe('parseCatalog', () => {
  it('accepts the shipped catalog', () => {
    const file = join(__dirname, '../../catalog/categories.json');
    const categories = parseCatalog(readFileSync(file, 'utf8'), 'categories.json');
    expect(categories.length).toBeGreaterThan(0);
    expect(categories.some((c) => !c.subcategories)).toBe(true);
  });

  it('names the entry with a missing translation', () => {
    const json = JSON.stringify({ categories: [{ id: 'a', title: { ru: 'А', en: 'A' } }, { id: 'b', title: { ru: 'Б' } }] });
    expect(() => parseCatalog(json, 'c.json')).toThrow('c.json: categories[1] ("b") needs a title.en of 1-60 characters');
  });

  it('rejects broken JSON, duplicate ids and ids too long for callback data', () => {
    expect(() => parseCatalog('{', 'c.json')).toThrow(/c.json is not valid JSON/);
    const dup = { categories: [{ id: 'a', title: { ru: 'А', en: 'A' } }, { id: 'a', title: { ru: 'А', en: 'A' } }] };
    expect(() => parseCatalog(JSON.stringify(dup), 'c.json')).toThrow(/has the id "a" twice/);
    const long = { categories: [{ id: 'x'.repeat(25), title: { ru: 'А', en: 'A' } }] };
    expect(() => parseCatalog(JSON.stringify(long), 'c.json')).toThrow(/needs an "id" of 1-24/);
  });
});
