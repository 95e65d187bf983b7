/* kbgen search worker: speaks mkdocs-material's search worker messages, but answers from the tier's index
 * prebuilt by kbgen (search/kbgen/) instead of indexing every page in the browser. It fetches the small
 * index.json at page load and then only the files a query's words need. The query plan mirrors
 * generator/search.py (SearchIndex.search) operation for operation, so scores agree to the last bit. */
"use strict";

const SETUP = 0, READY = 1, QUERY = 2, RESULT = 3;  // mkdocs-material's SearchMessageType
const FORMAT = 6;
const TYPO_MIN_LENGTH = 4, TYPO_BOOST = 0.2, PREFIX_BOOST = 0.3, SYNONYM_BOOST = 0.8;
const MIN_COVERAGE = 0.34, RELATIVE_CUTOFF = 0.1, MAX_QUERY_WORDS = 24, MIN_PART_CHARS = 2, MAX_PHRASE_WORDS = 4;
const RARE_DOCUMENTS = 3, PAIR_BOOST = 1, WHOLE_PHRASE_PAIRS = 2;
const RESULTS = 20;  // listed at most: each needs its row from a docs file, fetched before the list shows
const SHARD_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789", OTHER_SHARD = "_";
const SEPARATOR = /[\s\-]+/;
const EDGES = /^[^\p{L}\p{N}_]+|[^\p{L}\p{N}_]+$/gu;
const DIGITS = /^[0-9]+$/;
const PART = /[=:./\\_+()\[\],;@#&?|<>{}%$!~*"]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/;
const FOLDER = new URL("../../../search/kbgen/", self.location.href);

const files = new Map();  // name -> promise of its JSON, each fetched once

function read(name) {
  if (!files.has(name))
    files.set(name, fetch(new URL(name, FOLDER)).then(response => {
      if (!response.ok)
        throw new Error(`kbgen search: ${name} answered ${response.status}`);
      return response.json();
    }).catch(error => {
      files.delete(name);  // a later query asks again
      throw error;
    }));
  return files.get(name);
}

function readMeta() {
  return read("index.json").then(data => {
    if (data.format !== FORMAT)
      throw new Error(`kbgen search: index format ${data.format}, expected ${FORMAT}; rebuild the site`);
    return data;
  });
}

/* Asked for at once, while lunr.js loads and the theme sets up: the first query needs it. */
let meta = readMeta();
meta.catch(error => console.error(error));  // searches then find nothing, and the page says so

importScripts("lunr.js");  // for its stemmer and stop words, the ones the index was built with

function trim(word) {
  return word.toLowerCase().replace(EDGES, "");
}

function stem(word) {
  return lunr.stemmer(new lunr.Token(word)).toString();
}

function isStopWord(word) {
  return lunr.stopWordFilter(word) === undefined;
}

/* generator/search.py's _term, piece_terms and analyse. */
function termOf(word) {
  word = trim(word);
  return word && !isStopWord(word) ? stem(word) : "";
}

function pieceTerms(piece) {
  const word = piece.replace(EDGES, "");
  const whole = termOf(word);
  const found = new Set(whole ? [whole] : []);  // each once, in order (a log line has thousands of parts)
  const parts = word.split(PART);
  if (parts.length > 1)
    for (const part of parts) {
      const term = Array.from(part).length >= MIN_PART_CHARS ? termOf(part) : "";
      if (term)
        found.add(term);
    }
  return [...found];
}

function analyse(text) {
  return text.split(SEPARATOR).flatMap(pieceTerms);
}

/* CRC-32 (zlib's), of a pair of neighbouring terms as UTF-8: generator/search.py's pair_hash. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  for (let k = 0; k < 8; k++)
    n = n & 1 ? 0xEDB88320 ^ (n >>> 1) : n >>> 1;
  return n >>> 0;
});
const UTF8 = new TextEncoder();

function pairHash(first, second) {
  let crc = 0xFFFFFFFF;
  for (const byte of UTF8.encode(`${first} ${second}`))
    crc = CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >>> 8);
  return (crc ^ 0xFFFFFFFF) >>> 0;
}

/* generator/search.py's query_pairs: the query's neighbouring word pairs, each once. */
function queryPairs(words) {
  const pairs = [];
  let previous = "";
  for (const word of words) {
    if (word.part)
      continue;
    const terms = word.text.includes(" ") ? [] : pieceTerms(word.text);
    if (previous && terms.length && !pairs.includes(pairHash(previous, terms[0])))
      pairs.push(pairHash(previous, terms[0]));
    previous = terms.length ? terms[0] : "";
  }
  return pairs;
}

/* Document -> how many of the pairs it holds (SearchIndex._holding). */
async function holding(pairs, pairFiles) {
  const held = new Map();
  const lists = await Promise.all(pairs.map(crc => read(`pairs-${crc % pairFiles}.json`)
    .then(data => data[Math.floor(crc / pairFiles).toString(16)] || [])));
  for (const numbers of lists)
    for (const number of numbers)
      held.set(number, (held.get(number) || 0) + 1);
  return held;
}

function phraseKey(text) {
  return [...new Set(analyse(text))].join(" ");
}

/* generator/search.py's query_words: the longest phrase a synonym rule names at each place is one word. */
function queryWords(query, synonyms) {
  const pieces = query.split(SEPARATOR).map(piece => piece.replace(EDGES, "")).filter(Boolean);
  const lowered = pieces.map(piece => piece.toLowerCase());
  const found = [];
  let start = 0;
  while (start < pieces.length && found.length < MAX_QUERY_WORDS) {  // a pasted log is read no further
    let size = 1;
    for (let n = MAX_PHRASE_WORDS; n > 1; n--)
      if (start + n <= pieces.length && Object.hasOwn(synonyms, lowered.slice(start, start + n).join(" "))) {
        size = n;
        break;
      }
    const phrase = lowered.slice(start, start + size).join(" ");
    const alternatives = Object.hasOwn(synonyms, phrase) ? synonyms[phrase] : [];
    const text = pieces.slice(start, start + size).join(" ");
    start += size;
    if ((alternatives.length || !isStopWord(phrase)) && !found.some(word => word.text.toLowerCase() === phrase)) {
      found.push({ text, synonyms: alternatives, part: false });
      for (const term of size === 1 ? pieceTerms(text).slice(1) : []) {
        if (found.length === MAX_QUERY_WORDS)
          break;
        if (!found.some(word => word.part && word.text === term))
          found.push({ text: term, synonyms: [], part: true });
      }
    }
  }
  return found;
}

/* How many of the query's words it stands for: a phrase counts each of its words. */
function sizeOf(word) {
  return word.text.includes(" ") ? Math.max(1, analyse(word.text).length) : 1;
}

function shardOf(term) {
  return Array.from(term + OTHER_SHARD).slice(0, 2).map(char => SHARD_CHARS.includes(char) ? char : OTHER_SHARD)
    .join("");
}

/* Code points, as Python sees a string: an emoji is one letter, not two UTF-16 units. */
function same(a, i, b, j) {
  return a.slice(i).join("") === b.slice(j).join("");
}

function withinOneEdit(word, term) {
  if (word === term)
    return true;
  const a = Array.from(word), b = Array.from(term);
  if (Math.abs(a.length - b.length) > 1)
    return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i])
    i++;
  if (a.length > b.length)
    return same(a, i + 1, b, i);
  if (a.length < b.length)
    return same(a, i, b, i + 1);
  return same(a, i + 1, b, i + 1) ||
    (i + 1 < a.length && a[i] === b[i + 1] && a[i + 1] === b[i] && same(a, i + 2, b, i + 2));
}

function terms(shard, shards) {
  return shards.includes(shard) ? read(`terms-${shard}.json`) : Promise.resolve({ terms: [], parts: [] });
}

/* term -> [weight, postings file], in the order generator/search.py adds them (SearchIndex._lookups). */
async function lookups(word, last, shards, typosAllowed) {
  const found = new Map();
  let exact;
  if (word.part) {
    exact = [[word.text, 1]];
  } else if (!word.text.includes(" ")) {
    const lowered = word.text.toLowerCase();
    const target = stem(lowered);
    const typos = typosAllowed && Array.from(lowered).length >= TYPO_MIN_LENGTH && !DIGITS.test(lowered);
    for (const shard of [...new Set([shardOf(target), shardOf(lowered)])].sort()) {
      const list = await terms(shard, shards);
      list.terms.forEach((term, position) => {
        let weight = 0;
        if (term === target)
          weight += 1;
        if (typos && withinOneEdit(target, term))
          weight += TYPO_BOOST;
        if (last && term.startsWith(lowered))
          weight += PREFIX_BOOST;
        if (weight)
          found.set(term, [weight, `postings-${shard}-${list.parts[position]}.json`]);
      });
    }
    exact = [];
  } else {
    exact = analyse(word.text).map(term => [term, 1]);
  }
  for (const synonym of word.synonyms)
    exact.push(...analyse(synonym).map(term => [term, SYNONYM_BOOST]));
  await Promise.all(exact.map(([term]) => terms(shardOf(term), shards)));  // their word lists at once
  for (const [term, weight] of exact) {
    const shard = shardOf(term);
    const list = await terms(shard, shards);
    const position = list.terms.indexOf(term);
    if (position < 0)
      continue;
    const known = found.get(term);
    found.set(term, [(known ? known[0] : 0) + weight, `postings-${shard}-${list.parts[position]}.json`]);
  }
  return found;
}

/* The term a word was taken for a typo of (generator/search.py's SearchIndex._correction). */
async function correctionOf(word, found, last) {
  const lowered = word.text.toLowerCase();
  const target = stem(lowered);
  if (word.part || word.text.includes(" ") || found.has(target) ||
      (last && [...found.keys()].some(term => term.startsWith(lowered))))
    return null;
  let best = null, most = -1;
  for (const [term, [, file]] of found) {
    if (!withinOneEdit(target, term))
      continue;  // a synonym, not a neighbour
    const count = (await read(file))[term].length;
    if (count > most) {
      best = term;
      most = count;
    }
  }
  return best;
}

/* The documents naming the word, when it is a code (a digit in it) that few documents name. */
async function rareIn(word, found) {
  const term = word.part ? word.text : word.text.includes(" ") ? "" : stem(word.text.toLowerCase());
  if (!found.has(term) || !/[0-9]/.test(term))
    return [];
  const postings = (await read(found.get(term)[1]))[term];
  return postings.length <= 2 * RARE_DOCUMENTS ? postings.filter((_, i) => i % 2 === 0) : [];
}

async function exactMatches(query, phrasings) {
  const key = phraseKey(query);
  if (!key || !phrasings.includes(shardOf(key)))
    return [];
  const keys = await read(`phrasings-${shardOf(key)}.json`);
  return Object.hasOwn(keys, key) ? keys[key] : [];
}

async function search(query) {
  const { tier: siteTier, shards, docsPerFile, phrasings, pairFiles, synonyms } =
    await meta.catch(() => (meta = readMeta()));
  const words = queryWords(query, synonyms);
  const pairs = pairFiles ? queryPairs(words) : [];
  const typos = !query.includes('"');
  const last = words.reduce((found, word, position) => word.part ? found : position, -1);
  const total = words.reduce((sum, word) => sum + sizeOf(word), 0);
  const [looked, exactList, held] = await Promise.all([
    Promise.all(words.map((word, position) => lookups(word, position === last, shards, typos))),
    exactMatches(query, phrasings),
    holding(pairs, pairFiles),
  ]);
  await Promise.all([...new Set(looked.flatMap(found => [...found.values()].map(([, file]) => file)))].map(read));
  const scores = new Map(), matched = new Map(), rare = new Map(), corrections = new Map();
  for (const [position, found] of looked.entries()) {
    const size = sizeOf(words[position]);
    const correction = await correctionOf(words[position], found, position === last);
    if (correction)
      corrections.set(position, correction);
    let squares = 0;
    for (const [weight] of found.values())
      squares += weight * weight;
    const length = Math.sqrt(squares);
    const dots = new Map();
    for (const [term, [weight, file]] of found) {
      const postings = (await read(file))[term];
      for (let i = 0; i < postings.length; i += 2)
        dots.set(postings[i], (dots.get(postings[i]) || 0) + weight * postings[i + 1]);
    }
    for (const [number, dot] of dots) {
      scores.set(number, (scores.get(number) || 0) + dot / length);
      matched.set(number, (matched.get(number) || 0) + size);
    }
    for (const number of await rareIn(words[position], found))
      rare.set(number, (rare.get(number) || 0) + 1);
  }
  const exact = new Set(exactList);
  const needed = Math.max(MIN_COVERAGE * total, Math.min(2, total));
  const ranked = [];
  for (const [number, score] of scores) {
    const coverage = matched.get(number) / total;
    if (matched.get(number) >= needed || exact.has(number)) {
      const phrase = pairs.length ? 1 + PAIR_BOOST * (held.get(number) || 0) / pairs.length : 1;
      const whole = pairs.length >= WHOLE_PHRASE_PAIRS && held.get(number) === pairs.length;
      ranked.push([exact.has(number), rare.get(number) || 0, whole, score * coverage * coverage * phrase, number]);
    }
  }
  ranked.sort((a, b) => (b[0] - a[0]) || (b[1] - a[1]) || (b[2] - a[2]) || (b[3] - a[3]) || (a[4] - b[4]));
  const best = ranked.reduce((top, item) => Math.max(top, item[3]), 0);
  const top = [];
  for (const [isExact, codes, whole, score, number] of ranked) {
    if (top.length === RESULTS || (!(isExact || codes || whole) && score < RELATIVE_CUTOFF * best))
      break;
    top.push([score, number]);
  }
  const chunks = await Promise.all(top.map(([, number]) => read(`docs-${Math.floor(number / docsPerFile)}.json`)));
  const shown = words.filter(word => !word.part).map(word => word.text.toLowerCase());
  const marks = new Set(looked.flatMap(found => [...found.keys()]));  // every term the query looked up
  const corrected = corrections.size && top.length
    ? words.map((word, position) => word.part ? null : corrections.get(position) || word.text.toLowerCase())
      .filter(text => text !== null).join(" ")
    : null;
  return {
    corrected,
    results: top.map(([score, number], position) => {
      const [id, title, url, tier, snippet, kind, area] = chunks[position][number % docsPerFile];
      return { score, doc: { id, title, url, tier, snippet, kind, area }, words: shown, marks, siteTier };
    }),
  };
}

function escapeHTML(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/* The text with the words the query looked up marked, as the theme marks its own results. */
function highlighted(text, marks) {
  return text.split(/([\s\-]+)/).map((piece, position) => position % 2 === 0 && pieceTerms(piece)
    .some(term => marks.has(term)) ? `<mark>${escapeHTML(piece)}</mark>` : escapeHTML(piece)).join("");
}

/* What a result is, in an agents' site ("Runbook · Tier 2", "Article"), and its area. */
function label(doc, siteTier) {
  const kind = siteTier > 0 ? (doc.kind === "runbook" ? `Runbook · Tier ${doc.tier}` : "Article") : "";
  const text = [kind, doc.area].filter(Boolean).join(" · ");
  return text ? `<span class="kb-result-label" data-area="${escapeHTML(doc.area)}">${escapeHTML(text)}</span> ` : "";
}

/* One result as mkdocs-material renders it: a group of one article. */
function item({ score, doc, words, marks, siteTier }) {
  return [{
    location: doc.url,
    title: highlighted(doc.title, marks),
    text: label(doc, siteTier) + highlighted(doc.snippet, marks),
    score,
    terms: Object.fromEntries(words.map(word => [word, true])),
  }];
}

let latest = 0;  // the theme asks at every keystroke: only the newest query's answer is worth showing

addEventListener("message", async event => {
  const message = event.data;
  if (message.type === SETUP) {
    postMessage({ type: READY });  // queries wait for the index's files themselves
  } else if (message.type === QUERY) {
    const ticket = ++latest;
    let answer = { results: [], corrected: null };
    try {
      answer = await search(message.data);
    } catch (error) {
      console.error(error);
    }
    if (ticket === latest)  // kbgen: what the query was answered as (assets/javascripts/kbgen/search.js shows it)
      postMessage({ type: RESULT, data: { items: answer.results.map(item), kbgen: { query: message.data,
                                                                                   corrected: answer.corrected } } });
  }
});
