/**
 * Text indexes: tokenised, case- and diacritic-insensitive, English stop words dropped, words
 * reduced by the Porter stemmer, so `$text: { $search }` finds what MongoDB's English analyser
 * would. Supports phrases ("...") and negation (-word); scores favour more and denser matches.
 */
import { isPlainObject, type Doc } from './values.js';

const STOP_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other ' +
    'ought our ours ourselves out over own same she should so some such than that the their theirs them themselves then ' +
    'there these they this those through to too under until up very was we were what when where which while who whom why ' +
    'will with would you your yours yourself yourselves'
  ).split(' '),
);

function normalize(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

/** Lower-cased, accent-free words of `text`. */
export function words(text: string): string[] {
  return normalize(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/** Index terms of `text`: words without stop words, stemmed. */
export function terms(text: string): string[] {
  return words(text)
    .filter((w) => !STOP_WORDS.has(w))
    .map(stem);
}

// ---- Porter stemmer (M.F. Porter, 1980) -------------------------------------------------------

const isVowelAt = (w: string, i: number): boolean => {
  const c = w[i];
  if (c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u') return true;
  return c === 'y' && i > 0 && !isVowelAt(w, i - 1);
};

/** The number of vowel-consonant sequences in `w` ("measure"). */
function measure(w: string): number {
  let m = 0;
  let i = 0;
  while (i < w.length && !isVowelAt(w, i)) i++;
  while (i < w.length) {
    while (i < w.length && isVowelAt(w, i)) i++;
    if (i >= w.length) break;
    while (i < w.length && !isVowelAt(w, i)) i++;
    m++;
  }
  return m;
}

const hasVowel = (w: string): boolean => [...w].some((_, i) => isVowelAt(w, i));
const doubleConsonant = (w: string): boolean =>
  w.length > 1 && w[w.length - 1] === w[w.length - 2] && !isVowelAt(w, w.length - 1);
const cvc = (w: string): boolean => {
  const n = w.length;
  if (n < 3) return false;
  const last = w[n - 1] as string;
  return !isVowelAt(w, n - 3) && isVowelAt(w, n - 2) && !isVowelAt(w, n - 1) && !'wxy'.includes(last);
};

function replaceSuffix(w: string, rules: [string, string][], minMeasure: number): string {
  for (const [suffix, replacement] of rules) {
    if (w.endsWith(suffix)) {
      const stemPart = w.slice(0, -suffix.length);
      return measure(stemPart) > minMeasure ? stemPart + replacement : w;
    }
  }
  return w;
}

const STEP2: [string, string][] = [
  ['ational', 'ate'],
  ['tional', 'tion'],
  ['enci', 'ence'],
  ['anci', 'ance'],
  ['izer', 'ize'],
  ['bli', 'ble'],
  ['alli', 'al'],
  ['entli', 'ent'],
  ['eli', 'e'],
  ['ousli', 'ous'],
  ['ization', 'ize'],
  ['ation', 'ate'],
  ['ator', 'ate'],
  ['alism', 'al'],
  ['iveness', 'ive'],
  ['fulness', 'ful'],
  ['ousness', 'ous'],
  ['aliti', 'al'],
  ['iviti', 'ive'],
  ['biliti', 'ble'],
  ['logi', 'log'],
];
const STEP3: [string, string][] = [
  ['icate', 'ic'],
  ['ative', ''],
  ['alize', 'al'],
  ['iciti', 'ic'],
  ['ical', 'ic'],
  ['ful', ''],
  ['ness', ''],
];
const STEP4 = [
  'al',
  'ance',
  'ence',
  'er',
  'ic',
  'able',
  'ible',
  'ant',
  'ement',
  'ment',
  'ent',
  'ion',
  'ou',
  'ism',
  'ate',
  'iti',
  'ous',
  'ive',
  'ize',
];

export function stem(word: string): string {
  if (word.length <= 2) return word;
  let w = word;
  // Step 1a
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ies')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  // Step 1b
  let extra = false;
  if (w.endsWith('eed')) {
    if (measure(w.slice(0, -3)) > 0) w = w.slice(0, -1);
  } else if (w.endsWith('ed') && hasVowel(w.slice(0, -2))) {
    w = w.slice(0, -2);
    extra = true;
  } else if (w.endsWith('ing') && hasVowel(w.slice(0, -3))) {
    w = w.slice(0, -3);
    extra = true;
  }
  if (extra) {
    if (w.endsWith('at') || w.endsWith('bl') || w.endsWith('iz')) w += 'e';
    else if (doubleConsonant(w) && !/[lsz]$/.test(w)) w = w.slice(0, -1);
    else if (measure(w) === 1 && cvc(w)) w += 'e';
  }
  // Step 1c
  if (w.endsWith('y') && hasVowel(w.slice(0, -1))) w = `${w.slice(0, -1)}i`;
  w = replaceSuffix(w, STEP2, 0);
  w = replaceSuffix(w, STEP3, 0);
  // Step 4
  for (const suffix of STEP4) {
    if (!w.endsWith(suffix)) continue;
    const base = w.slice(0, -suffix.length);
    if (measure(base) > 1 && (suffix !== 'ion' || /[st]$/.test(base))) w = base;
    break;
  }
  // Step 5
  if (w.endsWith('e')) {
    const base = w.slice(0, -1);
    const m = measure(base);
    if (m > 1 || (m === 1 && !cvc(base))) w = base;
  }
  if (measure(w) > 1 && doubleConsonant(w) && w.endsWith('l')) w = w.slice(0, -1);
  return w;
}

// ---- search strings ----------------------------------------------------------------------------

export interface TextSearch {
  /** Stemmed terms that score (words and the words of phrases). */
  readonly terms: string[];
  /** Lower-cased, accent-free phrases every match must contain. */
  readonly phrases: string[];
  /** Stemmed terms no match may contain. */
  readonly negated: string[];
}

export function parseSearch(search: string): TextSearch {
  const phrases: string[] = [];
  const rest = search.replace(/"([^"]*)"/g, (_, phrase: string) => {
    if (phrase.trim().length > 0) phrases.push(words(phrase).join(' '));
    return ' ';
  });
  const positive: string[] = [];
  const negated: string[] = [];
  for (const token of rest.split(/\s+/)) {
    if (token.length === 0) continue;
    const target = token.startsWith('-') ? negated : positive;
    target.push(...terms(token.replace(/^-+/, '')));
  }
  for (const phrase of phrases) positive.push(...terms(phrase));
  return { terms: [...new Set(positive)], phrases, negated: [...new Set(negated)] };
}

// ---- the index -------------------------------------------------------------------------------------

function stringsAt(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsAt(v, out);
}

function allStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (isPlainObject(value)) for (const v of Object.values(value)) allStrings(v, out);
}

function pathStrings(doc: Doc, path: string): string[] {
  const out: string[] = [];
  const visit = (value: unknown, parts: string[]): void => {
    if (parts.length === 0) {
      stringsAt(value, out);
      return;
    }
    if (Array.isArray(value)) {
      for (const v of value) visit(v, parts);
      return;
    }
    if (!isPlainObject(value)) return;
    const [head, ...rest] = parts as [string, ...string[]];
    visit(value[head], rest);
  };
  visit(doc, path.split('.'));
  return out;
}

export class TextIndex {
  private readonly weights: [string, number][];
  private readonly wildcard: number | undefined;
  private readonly postings = new Map<string, Set<string>>();
  private readonly byDoc = new Map<string, string[]>();

  constructor(weights: Doc, _languageOverride: string) {
    this.weights = Object.entries(weights)
      .filter(([field]) => field !== '$**')
      .map(([field, w]) => [field, Number(w)]);
    this.wildcard = '$**' in weights ? Number(weights['$**']) : undefined;
  }

  /** The indexed text of `doc`, field by field with its weight. */
  private fieldsOf(doc: Doc): { text: string; weight: number }[] {
    const out: { text: string; weight: number }[] = [];
    const named = new Set<string>();
    for (const [field, weight] of this.weights) {
      named.add(field);
      for (const text of pathStrings(doc, field)) out.push({ text, weight });
    }
    if (this.wildcard !== undefined) {
      for (const [key, value] of Object.entries(doc)) {
        if (named.has(key)) continue;
        const strings: string[] = [];
        allStrings(value, strings);
        for (const text of strings) out.push({ text, weight: this.wildcard });
      }
    }
    return out;
  }

  add(id: string, doc: Doc): void {
    const all = new Set<string>();
    for (const { text } of this.fieldsOf(doc)) for (const t of terms(text)) all.add(t);
    const list = [...all];
    this.byDoc.set(id, list);
    for (const t of list) {
      let set = this.postings.get(t);
      if (!set) {
        set = new Set();
        this.postings.set(t, set);
      }
      set.add(id);
    }
  }

  remove(id: string): void {
    const list = this.byDoc.get(id);
    if (!list) return;
    this.byDoc.delete(id);
    for (const t of list) {
      const set = this.postings.get(t);
      set?.delete(id);
      if (set && set.size === 0) this.postings.delete(t);
    }
  }

  clear(): void {
    this.postings.clear();
    this.byDoc.clear();
  }

  /** Ids holding at least one of the search's terms. */
  candidates(search: TextSearch): Set<string> {
    const out = new Set<string>();
    for (const t of search.terms) for (const id of this.postings.get(t) ?? []) out.add(id);
    return out;
  }

  /** The score of `doc` for the search, or `undefined` when it does not match. */
  score(doc: Doc, search: TextSearch): number | undefined {
    const fields = this.fieldsOf(doc);
    let score = 0;
    let matched = false;
    const negated = new Set(search.negated);
    for (const { text, weight } of fields) {
      const tokens = terms(text);
      if (tokens.some((t) => negated.has(t))) return undefined;
      if (tokens.length === 0) continue;
      const counts = new Map<string, number>();
      for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const t of search.terms) {
        const c = counts.get(t);
        if (!c) continue;
        matched = true;
        score += weight * (0.5 + (0.5 * c) / tokens.length) * (1 + Math.log(c));
      }
    }
    if (!matched) return undefined;
    if (search.phrases.length > 0) {
      const joined = fields.map((f) => words(f.text).join(' '));
      for (const phrase of search.phrases) {
        if (!joined.some((text) => text.includes(phrase))) return undefined;
      }
    }
    return Math.round(score * 1e6) / 1e6;
  }
}
