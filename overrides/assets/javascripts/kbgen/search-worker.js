/* kbgen search worker: speaks mkdocs-material's search worker messages, but answers from the tier's index
 * prebuilt by kbgen (search/kbgen/) instead of indexing every page in the browser. It fetches the small
 * index.json at page load and then only the files a query's words need. The query plan mirrors
 * generator/search.py (SearchIndex.search) operation for operation, so scores agree to the last bit. */
"use strict";

const SETUP = 0, READY = 1, QUERY = 2, RESULT = 3;  // mkdocs-material's SearchMessageType
const FORMAT = 2;
const TYPO_MIN_LENGTH = 4, TYPO_BOOST = 0.2, PREFIX_BOOST = 0.3;
const MIN_COVERAGE = 0.34, MAX_QUERY_WORDS = 24;
const RESULTS = 20;  // listed at most: each needs its row from a docs file, fetched before the list shows
const SHARD_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789", OTHER_SHARD = "_";
const SEPARATOR = /[\s\-]+/;
const EDGES = /^[^\p{L}\p{N}_]+|[^\p{L}\p{N}_]+$/gu;
const DIGITS = /^[0-9]+$/;
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

function queryWords(query) {
  const seen = [];
  for (const piece of query.split(SEPARATOR)) {
    const word = trim(piece);
    if (word && lunr.stopWordFilter(word) !== undefined && !seen.includes(word))
      seen.push(word);
  }
  return seen.slice(0, MAX_QUERY_WORDS);
}

function stem(word) {
  return lunr.stemmer(new lunr.Token(word)).toString();
}

function shardOf(term) {
  return SHARD_CHARS.includes(term[0]) ? term[0] : OTHER_SHARD;
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

async function lookups(word, last, shards) {
  const target = stem(word);
  const typos = Array.from(word).length >= TYPO_MIN_LENGTH && !DIGITS.test(word);
  const found = [];
  for (const shard of [...new Set([shardOf(target), shardOf(word)])].sort()) {
    const list = await terms(shard, shards);
    list.terms.forEach((term, position) => {
      let weight = 0;
      if (term === target)
        weight += 1;
      if (typos && withinOneEdit(target, term))
        weight += TYPO_BOOST;
      if (last && term.startsWith(word))
        weight += PREFIX_BOOST;
      if (weight)
        found.push([term, weight, `postings-${shard}-${list.parts[position]}.json`]);
    });
  }
  return found;
}

async function search(query) {
  const { shards, docsPerFile } = await meta.catch(() => (meta = readMeta()));
  const words = queryWords(query);
  const looked = await Promise.all(words.map((word, position) => lookups(word, position === words.length - 1,
                                                                          shards)));
  await Promise.all([...new Set(looked.flat().map(([, , file]) => file))].map(read));
  const scores = new Map(), matched = new Map();
  for (const found of looked) {
    const length = Math.sqrt(found.reduce((sum, [, weight]) => sum + weight * weight, 0));
    const dots = new Map();
    for (const [term, weight, file] of found) {
      const postings = (await read(file))[term];
      for (let i = 0; i < postings.length; i += 2)
        dots.set(postings[i], (dots.get(postings[i]) || 0) + weight * postings[i + 1]);
    }
    for (const [number, dot] of dots) {
      scores.set(number, (scores.get(number) || 0) + dot / length);
      matched.set(number, (matched.get(number) || 0) + 1);
    }
  }
  const ranked = [];
  for (const [number, score] of scores) {
    const coverage = matched.get(number) / words.length;
    if (coverage >= MIN_COVERAGE)
      ranked.push([score * coverage * coverage, number]);
  }
  ranked.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const top = ranked.slice(0, RESULTS);
  const chunks = await Promise.all(top.map(([, number]) => read(`docs-${Math.floor(number / docsPerFile)}.json`)));
  return top.map(([score, number], position) => {
    const [id, title, url, tier, snippet] = chunks[position][number % docsPerFile];
    return { score, doc: { id, title, url, tier, snippet }, words };
  });
}

function escapeHTML(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/* One result as mkdocs-material renders it: a group of one article. */
function item({ score, doc, words }) {
  return [{
    location: doc.url,
    title: escapeHTML(doc.title),
    text: escapeHTML(doc.snippet),
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
    let results = [];
    try {
      results = await search(message.data);
    } catch (error) {
      console.error(error);
    }
    if (ticket === latest)
      postMessage({ type: RESULT, data: { items: results.map(item) } });
  }
});
