#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every page type laid out in headless Chromium at 1440x900 and 390x844, asserted from the DOM
(usage: test-web-layout.py LOCKDEPD LOCKDEPCTL OUTDIR).

The database: the golden cases, circular reports of 2 to 12 locks with names of 100 characters
(and short ones), and hostile names (HTML/JS payloads, U+202E, ANSI escapes, 10 KB class and task
names). For each page and viewport (issue 14):
- no element reaches past the viewport unless it is inside a scroll container, and the page does
  not scroll sideways;
- on a group page, the cycle SVG: no text element overlaps another text or a box other than its
  own, every text and path lies inside the SVG, text is drawn at 11 px or more (the drawing is not
  shrunk), each box's <title> is the full class name, every edge of the cycle is listed as text
  beside it with its acquire site (the caller, never the lock wrapper above it in the stack);
- in every list row (/, /locks/NAME, /hosts/X, /kernels/X) the lock key is visible: shown,
  non-empty, starting inside the viewport, and for / equal to the group's key (closed for a cycle);
- hostile text shows as visible escapes (\\u202e, \\x1b) and no script runs.
Screenshots go to OUTDIR. Skips (77) without chromium, chromedriver or python3-selenium.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl, outdir = sys.argv[1:4]
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not chromium or not os.path.exists(driver_path):
    wt.skip("chromium or chromedriver is not installed (tools/setup.sh installs them)")
try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.service import Service
except ImportError:
    wt.skip("python3-selenium is not installed")


def long_name(n, k):
    """A class name of exactly 100 characters, distinct per cycle size n and position k."""
    head = f"&cycle{n}_lock{k}->"
    return head + ("very_long_member_name_of_a_structure_" * 4)[:100 - len(head)]


RTL = "&rtl\u202e_kcol->lock"
ANSI = "&ansi\x1b[31m_red->lock"
BIG = "&" + "x" * 10000 + "->lock"
logs = [("xss.txt", wt.xss_log()), ("xss2.txt", wt.xss_log(wt.XSS_TASK2))]
for n in range(2, 13):
    logs.append((f"long{n}.txt", wt.cycle_log([long_name(n, k) for k in range(n)], kernel=f"6.{n}.0-long")))
logs.append(("short12.txt", wt.cycle_log([f"&s{k}->m" for k in range(12)], kernel="6.12.0-short")))
logs.append(("hostile.txt", wt.cycle_log([RTL, ANSI, BIG, "javascript:alert(1)"], task="t" + "y" * 10000 + "/5",
                                         kernel="6.66.0-hostile")))

os.makedirs(outdir, exist_ok=True)
tmp, db = wt.make_db(ctl, logs)
srv = wt.Server(lockdepd, db)
c = wt.Checker()
api = lambda path: json.loads(srv.request("GET", path)[2])  # noqa: E731
groups = api("/api/v1/groups?limit=1000")["groups"]

profile = tempfile.mkdtemp(prefix="chromium-")
opts = webdriver.ChromeOptions()
opts.binary_location = chromium
for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--hide-scrollbars"]:
    opts.add_argument(a)
for attempt in range(3):
    try:
        browser = webdriver.Chrome(service=Service(driver_path), options=opts)
        break
    except Exception as e:
        if attempt == 2:
            raise
        print(f"# chromium did not start ({str(e).splitlines()[0]}), retrying")
browser.set_page_load_timeout(60)

OVERFLOW_JS = """
const vw = document.documentElement.clientWidth, bad = [];
function scrolled(el) {
  for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
  }
  return false;
}
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  if (r.right <= vw + 1 && r.left >= -1) continue;
  if (!scrolled(el)) bad.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                              (el.className && el.className.baseVal === undefined ? '.' + el.className : '') +
                              ' ' + Math.round(r.left) + '..' + Math.round(r.right));
}
return {vw: vw, scroll: document.documentElement.scrollWidth, bad: bad.slice(0, 5), n: bad.length};
"""

SVG_JS = """
const svg = document.querySelector('svg#cycle');
if (!svg) return null;
const box = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
const texts = Array.from(svg.querySelectorAll('text')), rects = Array.from(svg.querySelectorAll('g.node rect'));
const R = el => { const r = el.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom}; };
const hit = (a, b) => a.l < b.r - 0.5 && b.l < a.r - 0.5 && a.t < b.b - 0.5 && b.t < a.b - 0.5;
const out = {overlaps: [], outside: [], small: [], scale: box.width / vb.width, titles: [], n_text: texts.length};
const tb = texts.map(R), rb = rects.map(R);
const label = t => t.textContent.slice(0, 40);
for (let i = 0; i < texts.length; i++) {
  for (let j = i + 1; j < texts.length; j++)
    if (hit(tb[i], tb[j])) out.overlaps.push(label(texts[i]) + ' / ' + label(texts[j]));
  for (let k = 0; k < rects.length; k++)
    if (rects[k].parentNode !== texts[i].parentNode && hit(tb[i], rb[k]))
      out.overlaps.push(label(texts[i]) + ' / box ' + k);
  const fs = parseFloat(getComputedStyle(texts[i]).fontSize) * out.scale;
  if (fs < 10.9) out.small.push(label(texts[i]) + ' ' + fs);
}
for (const el of svg.querySelectorAll('text, path, rect')) {
  if (el.closest('marker')) continue;
  const r = R(el);
  if (r.l < box.left - 1 || r.t < box.top - 1 || r.r > box.right + 1 || r.b > box.bottom + 1)
    out.outside.push(el.tagName + ' ' + (el.textContent || '').slice(0, 30));
}
for (let k = 0; k < rects.length; k++)
  if (hit(rb[k], rb[k + 1] || {l: 0, t: 0, r: 0, b: 0})) out.overlaps.push('box ' + k + ' / box ' + (k + 1));
out.titles = Array.from(svg.querySelectorAll('g.node > title')).map(t => t.textContent);
out.sites = Array.from(document.querySelectorAll('#cycle-text code.site')).map(e => e.textContent);
out.edges = document.querySelectorAll('#cycle-text > li').length;
return out;
"""

KEYS_JS = """
const vw = document.documentElement.clientWidth;
return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr')).map(tr => {
  const a = tr.querySelector('td.title a.key');
  if (!a) return null;
  const r = a.getBoundingClientRect();
  return {text: a.textContent, w: r.width, h: r.height, left: r.left, shown: getComputedStyle(a).visibility,
          func: (tr.querySelector('td.title .func') || {}).textContent || ''};
});
"""


def visible_form(s):
    """The dashboard's visible escapes (common/visible.h) for the characters these tests use."""
    out = []
    for ch in s:
        o = ord(ch)
        if o < 0x20 or o == 0x7f:
            out.append("\\x%02x" % o)
        elif o in (0x200e, 0x200f) or 0x202a <= o <= 0x202e or 0x2066 <= o <= 0x2069:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    return "".join(out)


def shown_key(g):
    key = g["key"].split(": ", 1)[1] if g["key"].startswith(g["kind"] + ": ") else g["key"]
    if g["kind"] == "circular" and " -> " in key:
        fs = key.find(" [fs: ")
        body, rest = (key[:fs], key[fs:]) if fs >= 0 else (key, "")
        key = body + " -> " + body.split(" -> ")[0] + rest
    return visible_form(key)


def no_script_ran(what):
    try:
        text = browser.switch_to.alert.text
        c.check(False, f"{what}: an alert popped up: {text!r}")
        browser.switch_to.alert.dismiss()
    except NoAlertPresentException:
        pass
    c.check(browser.execute_script("return typeof window.__xss") == "undefined", f"{what}: no payload ran")


def by_class(name):
    return next(g for g in groups if name in g["key"])


hosts = api("/api/v1/hosts")["hosts"]
kernels = api("/api/v1/kernels")["kernels"]
host = hosts[0]
hostile_group = by_class("rtl")
cycle_groups = {n: by_class(f"&cycle{n}_lock0->") for n in range(2, 13)}
recursive = next(g for g in groups if g["kind"] == "recursive")
two_short = next(g for g in groups if g["kind"] == "circular" and g["key"].count(" -> ") == 1 and len(g["key"]) < 90)
rep = api(f"/api/v1/groups/{hostile_group['id']}")["representative"]

pages = [("groups", "/?limit=1000", "#groups"),
         ("groups-circular", "/?kind=circular&limit=1000", "#groups"),
         ("locks", "/locks", None),
         ("lock", "/locks/" + urllib.parse.quote(long_name(12, 3), safe=""), "#lock-groups"),
         ("lock-hostile", "/locks/" + urllib.parse.quote(RTL, safe=""), "#lock-groups"),
         ("hosts", "/hosts", None),
         ("host", "/hosts/" + urllib.parse.quote(host.get("machine_id") or host["host"], safe=""), "#host-groups"),
         ("kernels", "/kernels", None),
         ("kernel", "/kernels/" + urllib.parse.quote("6.66.0-hostile"), "#regressions"),
         ("graph", "/graph", None),
         ("suppressions", "/suppressions", None),
         ("report", f"/reports/{rep}", None),
         ("notfound", "/groups/999999", None),
         ("group-recursive", f"/groups/{recursive['id']}", None),
         ("group-2-short", f"/groups/{two_short['id']}", None),
         ("group-hostile", f"/groups/{hostile_group['id']}", None)]
pages += [(f"group-{n}-long", f"/groups/{g['id']}", None) for n, g in cycle_groups.items()]

try:
    for width, height in [(1440, 900), (390, 844)]:
        browser.set_window_size(width, height)
        vw = browser.execute_script("return document.documentElement.clientWidth")
        if abs(vw - width) > 20:  # the window includes no chrome in headless mode; make the viewport exact
            browser.set_window_size(width + (width - vw), height)
        for name, path, list_id in pages:
            what = f"{width}px {name}"
            browser.get(srv.base + path)
            browser.save_screenshot(os.path.join(outdir, f"layout-{width}-{name}.png"))
            no_script_ran(what)
            o = browser.execute_script(OVERFLOW_JS)
            c.check(o["n"] == 0 and o["scroll"] <= o["vw"] + 1,
                    f"{what}: nothing wider than the viewport outside a scroll container "
                    f"(scrollWidth {o['scroll']}, viewport {o['vw']}: {o['bad']})")
            s = browser.execute_script(SVG_JS)
            if name.startswith("group-"):
                c.check(s is not None and s["n_text"] > 0, f"{what}: the cycle SVG is drawn")
                if s is None:
                    continue
                c.check(not s["overlaps"], f"{what}: no cycle label overlaps another or a box: {s['overlaps'][:4]}")
                c.check(not s["outside"], f"{what}: every label, box and arrow inside the SVG: {s['outside'][:4]}")
                c.check(not s["small"] and s["scale"] > 0.99,
                        f"{what}: text drawn at its size (scale {s['scale']:.2f}): {s['small'][:3]}")
                detail = api(f"/api/v1/groups/{path.rsplit('/', 1)[1]}")
                classes = detail["parsed"]["classes"]
                c.check(sorted(s["titles"]) == sorted(set(visible_form(x) for x in classes)),
                        f"{what}: each box's <title> is the full class name")
                if name.endswith("-long"):
                    n = int(name.split("-")[1])
                    c.check(s["edges"] == n, f"{what}: the {n} edges of the cycle as text ({s['edges']})")
                    c.check(sorted(s["sites"]) == sorted(f"site_{k}_fn" for k in range(n)),
                            f"{what}: each edge's acquire site is the caller, not the wrapper: {s['sites'][:3]}")
            if name == "group-hostile":
                body = browser.find_element("tag name", "body").text
                classes = api(f"/api/v1/groups/{hostile_group['id']}")["parsed"]["classes"]
                c.check("\\u202e" in body and "\u202e" not in body, f"{what}: U+202E shown as \\u202e, not applied")
                ansi = [x for x in classes if "ansi" in x]
                c.check(len(ansi) == 1 and "\x1b" not in body and visible_form(ansi[0]) in body,
                        f"{what}: the ANSI class shown as the parser read it ({ansi!r}), no ESC on the page")
            if name == "report":
                task = browser.find_element("css selector", "code.task").text
                c.check(task.startswith("tyyyy") and len(task) >= 10000, f"{what}: the 10 KB task name is all shown")
            if list_id:
                rows = browser.execute_script(KEYS_JS, list_id)
                c.check(len(rows) > 0 and all(r and r["text"] and r["w"] > 0 and r["h"] > 0 and r["left"] < o["vw"]
                                              and r["shown"] == "visible" for r in rows),
                        f"{what}: the lock key is visible in all {len(rows)} rows")
                if name == "groups":
                    want = [shown_key(g) if len(g["key"].split(": ", 1)[-1]) <= 300 else None for g in groups]
                    got = [r["text"] if w is not None else None for r, w in zip(rows, want)]
                    c.check(any(w is None for w in want) and all(r["text"].endswith("\u2026") and len(r["text"]) < 400
                                                             for r, w in zip(rows, want) if w is None),
                            f"{what}: a 10 KB key is cut short with an ellipsis")
                    c.check(got == want, f"{what}: each row's key is its group's key, closed for a cycle "
                            f"({sum(a != b for a, b in zip(got, want))} differ: "
                            f"{[(a, b) for a, b in zip(got, want) if a != b][:1]})")
                    want_f = ["" if shown_key(g) == visible_form(g["func_title"] or "") else
                              visible_form(g["func_title"] or "") for g in groups]
                    got_f = [r["func"] for r in rows]
                    c.check(got_f == want_f, f"{what}: the function title second "
                            f"{[(a, b) for a, b in zip(got_f, want_f) if a != b][:2]}")
finally:
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)
    srv.stop()
print(f"screenshots in {outdir}")
c.done()
