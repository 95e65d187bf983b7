/* kbgen search worker: speaks mkdocs-material's search worker messages, but loads the tier's index
 * prebuilt by kbgen (search/kbgen-index.json) instead of indexing every page in the browser.
 * The query plan mirrors generator/search.py (SearchIndex.search); keep the two in step. */
"use strict";

importScripts("lunr.js");

const SETUP = 0, READY = 1, QUERY = 2, RESULT = 3;  // mkdocs-material's SearchMessageType
const FORMAT = 1;
const TYPO_MIN_LENGTH = 4, TYPO_BOOST = 0.2, PREFIX_BOOST = 0.3;
const MIN_COVERAGE = 0.34, MAX_QUERY_WORDS = 24;
const SEPARATOR = /[\s\-]+/;
const EDGES = /^[^\p{L}\p{N}_]+|[^\p{L}\p{N}_]+$/gu;
const DIGITS = /^[0-9]+$/;

let index = null;
let documents = new Map();

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

function wordClauses(q, word, last) {
  q.term(word, { boost: 1 });
  if ([...word].length >= TYPO_MIN_LENGTH && !DIGITS.test(word))
    q.term(word, { boost: TYPO_BOOST, editDistance: 1 });
  if (last)
    q.term(word, { boost: PREFIX_BOOST, usePipeline: false, wildcard: lunr.Query.wildcard.TRAILING });
}

function round6(value) {
  return Math.round(value * 1e6) / 1e6;
}

function search(query) {
  const words = queryWords(query);
  const scores = new Map(), matched = new Map();
  words.forEach((word, position) => {
    for (const result of index.query(q => wordClauses(q, word, position === words.length - 1))) {
      scores.set(result.ref, (scores.get(result.ref) || 0) + result.score);
      matched.set(result.ref, (matched.get(result.ref) || 0) + 1);
    }
  });
  const ranked = [];
  for (const [ref, score] of scores) {
    const coverage = matched.get(ref) / words.length;
    if (coverage >= MIN_COVERAGE)
      ranked.push([round6(score * coverage * coverage), ref]);
  }
  ranked.sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return ranked.map(([score, ref]) => ({ score, doc: documents.get(ref), matched: matched.get(ref), words }));
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

async function setup() {
  const url = new URL("../../../" + "search/kbgen-index.json", self.location.href);
  const response = await fetch(url);
  if (!response.ok)
    throw new Error(`kbgen search: ${url} answered ${response.status}`);
  const data = await response.json();
  if (data.format !== FORMAT)
    throw new Error(`kbgen search: index format ${data.format}, expected ${FORMAT}; rebuild the site`);
  documents = new Map(data.documents.map(doc => [doc.ref, doc]));
  index = lunr.Index.load(data.index);
}

addEventListener("message", async event => {
  const message = event.data;
  if (message.type === SETUP) {
    try {
      await setup();
    } catch (error) {
      console.error(error);  // searches then find nothing, and the page says so
    }
    postMessage({ type: READY });
  } else if (message.type === QUERY) {
    const results = index ? search(message.data) : [];
    postMessage({ type: RESULT, data: { items: results.map(item) } });
  }
});
