"""Publication safety: what must never become public (tier 0) text.

Text a Tier 3 engineer wrote for customers can still carry what only the support team may see: a
customer's e-mail address or phone number, an IP address from a log, an account or ticket number, a
token pasted from a request, the name of an internal host. :func:`findings` points at each one, by line
and rule, so the text is fixed before it is published. Known token formats (AWS, Stripe, GitHub, Slack,
JWT, private keys, ...) come from detect-secrets' detectors; phone numbers from phonenumbers
(libphonenumber, with strict grouping), which tells a phone number from a date, a version or an amount;
a run of digits alone counts only after a word such as "call" or "phone".
"""

from __future__ import annotations

import functools
import html
import ipaddress
import re
from html.parser import HTMLParser
from typing import Iterable, NamedTuple

import phonenumbers
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
from detect_secrets.settings import default_settings

from .findings import ERROR, Finding

# Top-level names that never resolve on the public internet (RFC 6762, RFC 8375, common private use).
INTERNAL_SUFFIXES = ("internal", "intranet", "corp", "local", "localdomain", "lan", "home.arpa")
PHONE_REGIONS = ("US", "GB")  # national formats read as phone numbers; "+..." numbers are read from anywhere
MIN_PHONE_DIGITS = 7  # fewer digits on a line cannot make a phone number
PHONE_WORD_RE = re.compile(r"\b(?:call|phone|tel|telephone|mobile|cell|fax|sms|text|ring|dial|whatsapp)\b", re.I)

EMAIL_RE = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
IPV4_RE = re.compile(r"(?<![\w.])(?<!v)(?<!version )(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)", re.I)
IPV6_RE = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:])")
PREFIXED_ID_RE = re.compile(r"\b[a-z]{2,5}_(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{6,}\b")  # acct_1Hx..., cus_..., ws_...
UUID_RE = re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b")
NUMBERED_RE = re.compile(  # "customer 48213", "account no. 1234", "Tickets: 417602, 417644", "case #88121"
    r"\b(?:customer|account|client|user|member|workspace|tenant|organi[sz]ation|ticket|case|incident|order)s?"
    r"(?:\s+(?:id|number|no\.?|nr\.?))?\s*(?::\s*|\s+)#?\d{4,}\b", re.I)
HASH_NUMBER_RE = re.compile(r"(?<![\w&#])#\d{4,}\b")  # "#18234": a ticket or pull request reference
BEARER_RE = re.compile(r"\bBearer\s+[A-Za-z0-9._~+/-]{12,}=*", re.I)
TOKEN_RE = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_=-]{20,}(?![\w+/=-])")
DIGIT_RE = re.compile(r"\d")
ESCAPE_RE = re.compile(r"\\([!-/:-@[-`{-~])")  # a Markdown backslash escape of punctuation
MARKUP_RE = re.compile(r"[*`]+|(?<!\w)_+|_+(?!\w)")  # emphasis and code marks, not "snake_case"
NON_SPACE_RE = re.compile(r"\S*")
WORDISH_RE = re.compile(r"[a-z]{3,}")  # runs of lower case letters: words, rare in random strings
SEPARATOR_RE = re.compile(r"[/_.=-]")
MIN_SECRET_RUN = 16  # characters between separators
MIN_SECRET_ENTROPY = 3.5  # bits per character; 16 distinct characters give 4
HEX_RE = re.compile(r"^[0-9a-fA-F]{32,}$")
# Detectors reported by our own rules (IP addresses), or too broad for prose (keywords, quoted strings).
SKIPPED_DETECTORS = {"Public IP (ipv4)", "Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String"}


class Hit(NamedTuple):
    col: int  # 1-based
    rule: str
    message: str
    found: str = ""  # the text it points at


def hostname_re(internal_domains: Iterable[str]) -> re.Pattern:
    """Host names under an internal suffix or one of the company's internal domains."""
    suffixes = [re.escape(s) for s in INTERNAL_SUFFIXES]
    domains = [re.escape(d.strip(".").lower()) for d in internal_domains if d.strip(".")]
    label = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
    under = rf"(?:{label}\.)+(?:{'|'.join(suffixes)})"
    if domains:
        under += rf"|(?:{label}\.)*(?:{'|'.join(domains)})"
    return re.compile(rf"(?<![\w.-])(?:{under})(?![\w-]|\.[a-z0-9])", re.I)


@functools.cache
def _detectors() -> tuple:
    with default_settings():
        return tuple(cls() for name, cls in sorted(get_mapping_from_secret_type_to_class().items())
                     if name not in SKIPPED_DETECTORS)


_BASE64 = Base64HighEntropyString()
_HEX = HexHighEntropyString()


def _high_entropy(token: str) -> bool:
    """A random-looking token: a long hexadecimal string, or a long run between separators of mixed case
    and digits with high entropy (so paths and slugs such as ``DEF-0001-wrong-currency`` are not)."""
    if HEX_RE.match(token):
        return _HEX.calculate_shannon_entropy(token) > _HEX.entropy_limit
    return any(len(part) >= MIN_SECRET_RUN and any(c.isdigit() for c in part) and any(c.islower() for c in part)
               and any(c.isupper() for c in part) and _BASE64.calculate_shannon_entropy(part) >= MIN_SECRET_ENTROPY
               and sum(map(len, WORDISH_RE.findall(part))) <= len(part) / 2  # not CamelCaseNames2
               for part in SEPARATOR_RE.split(token))


def _is_ip(candidate: str) -> bool:
    if not any(c.isdigit() for c in candidate):  # "a::b" is an address, but in prose it is not one
        return False
    try:
        ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _secrets(line: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each secret: known formats first, then random-looking tokens not inside one."""
    found = [(match.start(), match.end(), "bearer token") for match in BEARER_RE.finditer(line)]
    for detector in _detectors():
        for secret in detector.analyze_line(filename="defect.md", line=line, line_number=1):
            value = secret.secret_value or ""
            start = max(line.find(value), 0) if value else 0
            end = start + len(value)
            end += len(NON_SPACE_RE.match(line, end)[0])  # the whole word: a JWT is reported by its head
            found.append((start, end, secret.type))
    for match in TOKEN_RE.finditer(line):
        inside = any(start <= match.start() < end or match.start() <= start < match.end() for start, end, _ in found)
        if not inside and _high_entropy(match[0]):
            found.append((match.start(), match.end(), "high-entropy string"))
    return found


def scan_line(line: str, hosts: re.Pattern) -> list[Hit]:
    """Everything in one line of text that must not be published."""
    hits: list[Hit] = []
    for match in EMAIL_RE.finditer(line):
        hits.append(Hit(match.start() + 1, "feed-email", f"e-mail address '{match[0]}'", match[0]))
    for region in PHONE_REGIONS if len(DIGIT_RE.findall(line)) >= MIN_PHONE_DIGITS else ():
        for match in phonenumbers.PhoneNumberMatcher(line, region, leniency=phonenumbers.Leniency.STRICT_GROUPING):
            hit = Hit(match.start + 1, "feed-phone", f"phone number '{match.raw_string}'", match.raw_string)
            bare = match.raw_string.strip("[]()").isdigit()  # 2147186688: an error code more often than a phone
            if hit not in hits and (not bare or PHONE_WORD_RE.search(line, max(0, match.start - 30), match.start)):
                hits.append(hit)
    for pattern in (IPV4_RE, IPV6_RE):
        for match in pattern.finditer(line):
            if _is_ip(match[0]):
                hits.append(Hit(match.start() + 1, "feed-ip-address", f"IP address '{match[0]}'", match[0]))
    references: list[re.Match] = []
    for pattern in (NUMBERED_RE, PREFIXED_ID_RE, UUID_RE, HASH_NUMBER_RE):  # "ticket #4176" once, not twice
        references += [m for m in pattern.finditer(line)
                       if not any(r.start() <= m.start() < r.end() for r in references)]
    for match in references:
        hits.append(Hit(match.start() + 1, "feed-customer-id", f"customer, account or ticket reference '{match[0]}'",
                        match[0]))
    for start, end, what in _secrets(line):
        hits.append(Hit(start + 1, "feed-secret", f"secret or token ({what})", line[start:end]))
    for match in hosts.finditer(line):
        hits.append(Hit(match.start() + 1, "feed-internal-host", f"internal host name '{match[0]}'", match[0]))
    return sorted(set(hits))


# Elements that end a line of text where they start or end (the rest run on: "a<em>b</em>c" reads "abc").
BLOCK_ELEMENTS = {"address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt",
                  "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
                  "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul"}


class _Visible(HTMLParser):
    """Collects what a page shows or carries: its text, with character references decoded, and the
    value of every attribute (link targets and titles, image sources and alternative text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_ELEMENTS:
            self.text.append("\n")
        self.attributes += [value for _, value in attrs if value]

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag in BLOCK_ELEMENTS:
            self.text.append("\n")

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.attributes.append(data)


def visible_lines(html: str) -> list[str]:
    """The lines of text an HTML fragment publishes: what it shows and what its source carries."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return [line for line in "".join(parser.text).split("\n") + parser.attributes if line.strip()]


def finding(rel: str, line: int, col: int, hit: Hit) -> Finding:
    return Finding(rel, line, col, hit.rule, ERROR,
                   f"{hit.message} would be published on the public help site; "
                   "remove it or write it in general terms")


def findings(rel: str, lines: Iterable[tuple[int, str]], internal_domains: Iterable[str] = (),
             published: Iterable[tuple[int, str]] = ()) -> list[Finding]:
    """Findings for every line (``(line number, text)``) that would publish something it must not.

    ``published`` holds the same text as the public site shows it (rendered, character references
    decoded), as ``(line to point at, text)``: what it reveals that ``lines`` do not show as written
    (``jane&#64;example.com``) is pointed at in the line of ``lines`` that holds it, decoded, if any."""
    hosts = hostname_re(internal_domains)
    lines = list(lines)
    found, seen = [], set()
    scanned = set()  # texts read already: most of what is published reads as a written line decoded
    for number, line in lines:
        for hit in scan_line(line, hosts):
            found.append(finding(rel, number, hit.col, hit))
            seen.add((number, hit.rule, hit.found))
        decoded = _decoded(line)  # also what code shows as written, and readers decode: "jane&#64;example.com"
        for hit in scan_line(decoded, hosts) if decoded != line else ():
            if (number, hit.rule, hit.found) not in seen:
                seen.add((number, hit.rule, hit.found))
                found.append(finding(rel, number, 1, hit))
        scanned.update((line, decoded))
    for fallback, line in published:
        if line in scanned:
            continue
        scanned.add(line)
        for hit in scan_line(line, hosts):
            holding = [(number, text) for number, text in lines
                       if hit.found in text or hit.found in _decoded(text)] or [(fallback, "")]
            for number, text in holding:
                if (number, hit.rule, hit.found) in seen:
                    continue
                seen.add((number, hit.rule, hit.found))
                found.append(finding(rel, number, text.find(hit.found) + 1 or 1, hit))
    return found


def _decoded(line: str) -> str:
    """A line of Markdown roughly as a reader takes it: character references decoded, backslash escapes
    and emphasis and code marks dropped."""
    return html.unescape(MARKUP_RE.sub("", ESCAPE_RE.sub(r"\1", line)))
