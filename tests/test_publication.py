"""Publication safety: what :mod:`generator.publication` refuses in text bound for the public site,
and the everyday text of help articles it must let through."""

from __future__ import annotations

import pytest

from generator.publication import findings, hostname_re, scan_line

HOSTS = hostname_re(["corp.tallybook.example"])

REFUSED = [  # (text, rule, what the finding quotes)
    ("Write to jane.doe@example.com.", "feed-email", "jane.doe@example.com"),
    ("Reply-to: billing+eu@customer.co.uk", "feed-email", "billing+eu@customer.co.uk"),
    ("Call +44 20 7946 0958.", "feed-phone", "+44 20 7946 0958"),
    ("Call +1-202-555-0143 after 5pm.", "feed-phone", "+1-202-555-0143"),
    ("Call (415) 555-2671.", "feed-phone", "(415) 555-2671"),
    ("Call 020 7946 0958.", "feed-phone", "020 7946 0958"),
    ("Their mobile: 4155552671.", "feed-phone", "4155552671"),
    ("From 192.168.10.4 only.", "feed-ip-address", "192.168.10.4"),
    ("The range 10.0.0.0/8 is blocked.", "feed-ip-address", "10.0.0.0"),
    ("From 2001:db8::8a2e:370:7334.", "feed-ip-address", "2001:db8::8a2e:370:7334"),
    ("From fe80::1ff:fe23:4567:890a%eth0.", "feed-ip-address", "fe80::1ff:fe23:4567:890a%eth0"),
    ("Account acct_1Hx9LmQ2Zk first.", "feed-customer-id", "acct_1Hx9LmQ2Zk"),
    ("Workspace ws_8KQ2M4TZ1A first.", "feed-customer-id", "ws_8KQ2M4TZ1A"),
    ("Affected: customer 48213.", "feed-customer-id", "customer 48213"),
    ("Account no. 99120 again.", "feed-customer-id", "Account no. 99120"),
    ("Tickets: 418870, 418902.", "feed-customer-id", "Tickets: 418870"),
    ("See case #88121.", "feed-customer-id", "case #88121"),
    ("Pull request #18234.", "feed-customer-id", "#18234"),
    ("Request 3f2b8a10-4c1d-4e7f-9a2b-1c3d5e7f9a0b failed.", "feed-customer-id",
     "3f2b8a10-4c1d-4e7f-9a2b-1c3d5e7f9a0b"),
    ("Header: Bearer 9f8e7d6c5b4a39281706abcd", "feed-secret", "bearer token"),
    ("Key AKIAIOSFODNN7EXAMPLE.", "feed-secret", "AWS Access Key"),
    ("Key sk_live_4eC39HqLyjWDarjtT1zdp7dc.", "feed-secret", "Stripe Access Key"),
    ("Token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789.", "feed-secret", "GitHub Token"),
    ("Token xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx.", "feed-secret", "Slack Token"),
    ("-----BEGIN RSA PRIVATE KEY-----", "feed-secret", "Private Key"),
    ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "feed-secret", "JSON Web Token"),
    ("Secret kq8Zx3VfP0wLm2Nb7Tr5Yc1Hd9Gj4Ks6.", "feed-secret", "high-entropy string"),
    ("Hash 3f786850e387550fdab836ed7e6dc881de23001b.", "feed-secret", "high-entropy string"),
    ("Open https://user:pa55word@example.com/x", "feed-secret", "Basic Auth Credentials"),
    ("On db1.billing.internal.", "feed-internal-host", "db1.billing.internal"),
    ("On grafana.corp.", "feed-internal-host", "grafana.corp"),
    ("On printer.local and nas.home.arpa.", "feed-internal-host", "printer.local"),
    ("On https://jenkins.corp.tallybook.example/job/1", "feed-internal-host", "jenkins.corp.tallybook.example"),
    ("On corp.tallybook.example itself.", "feed-internal-host", "corp.tallybook.example"),
]


@pytest.mark.parametrize("text, rule, quoted", REFUSED, ids=[r[2] for r in REFUSED])
def test_refused(text, rule, quoted):
    hits = scan_line(text, HOSTS)
    assert [h.rule for h in hits if h.rule == rule], hits
    assert any(quoted in h.message for h in hits if h.rule == rule), hits
    first = min(h.col for h in hits if h.rule == rule)
    assert text[first - 1:].startswith(quoted[:2]) or rule == "feed-secret", (first, hits)


ALLOWED = [
    "Fixed in version 2025.10.2 on 2025-10-16 at 14:00:00 UTC.",
    "Affected versions 2025.9.0, 2025.9.1, 2025.10.0 and 2025.10.1; also 1.2.3 and v10.0.0.1 and version 4.2.0.1.",
    "Between 22 September and 16 October 2025 (22/09/2025 to 16.10.2025).",
    "An invoice of $1,250.00 showed €1,250.00; a JPY invoice printed ¥125.000,00; 3,940 events in 212 workspaces.",
    "Error `ERR_SSO_4012: Invalid redirect_uri` or `ERR_PAY_2001 card_declined`.",
    "Deduplicate on `data.object.id` together with the event `type`; `format_money(amount, ctx.currency)`.",
    "Open https://app.tallybook.example/login?sso=0 or help.tallybook.example, or `login.yourcompany.com`.",
    "See [Invoice PDF won't download](../invoices/invoice-pdf-troubleshooting.md#known-issue-wrong-currency-symbol).",
    "Go to **Settings > Invoices > Template** and turn on **Show currency code next to amounts**.",
    "The `payment.succeeded` event was retried after 10 seconds; respond with `2xx` within 10000 ms.",
    "Order 3 items, invoice numbers start at INV-1001, customers in 12 countries, and 2 of 3 accounts.",
    "Times: 12:30, 09:15:00; ratios 16:9; the `std::vector` type; a::b in prose.",
    "Error code 2147186688 in build 3107972; log 210311-1843; took 91 65.52 ms; see [3109976](https://x.example/).",
    "Use a strong password and keep your API key secret; never share your token.",
    "Your account settings, the customer portal and ticket status pages are unchanged.",
    "Read the known-issue-wrong-currency-symbol article, or 2025-11-05_data_repair_notes.",
    "See [the record](../defects/DEF-0001-Wrong-Currency-Symbol-In-Invoice-PDFs-2025.md) and BuildPipelineV2Runner.",
]


@pytest.mark.parametrize("text", ALLOWED)
def test_allowed(text):
    assert scan_line(text, HOSTS) == []


def test_findings_name_file_line_column_and_rule():
    lines = [(12, "Nothing here."), (13, "Mail ops@example.com or call +44 20 7946 0958.")]
    found = findings("kb/defects/DEF-0007-x.md", lines, ["corp.example"])
    assert [(f.path, f.line, f.col, f.rule, f.severity) for f in found] == [
        ("kb/defects/DEF-0007-x.md", 13, 6, "feed-email", "error"),
        ("kb/defects/DEF-0007-x.md", 13, 30, "feed-phone", "error"),
    ]
    assert all("public help site" in f.message for f in found)


def test_company_internal_domains_come_from_configuration():
    assert scan_line("See wiki.ops.example.org", hostname_re([])) == []
    [hit] = scan_line("See wiki.ops.example.org", hostname_re(["ops.example.org"]))
    assert (hit.col, hit.rule) == (5, "feed-internal-host")
