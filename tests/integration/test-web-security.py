#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Host, token and origin rules of the web server (usage: test-web-security.py LOCKDEPD LOCKDEPCTL).

Covers (issue 14, security): a request whose Host is not localhost, a loopback address, the listen
address or a name of `web-host =` in lockdepd.conf gets 421 on every route (DNS rebinding), unless
it carries the valid bearer token (lockdepctl push to a collector by any name); a token in the
query string is refused (400) on reads and writes and changes nothing; the token is read from the
Authorization header or the body of a POST; a write whose Origin is not the server's is refused
(403) with the right token, whether Sec-Fetch-Site is sent or not, also for ingest; a browser
form with a wrong token gets an HTML page (401) with the same form, its fields kept (escaped) and
the token field empty, and nothing changes; the same form with the right token is saved.
"""

import html.parser
import os
import sqlite3
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest as wt  # noqa: E402

lockdepd, ctl = sys.argv[1:3]
tmp, db = wt.make_db(ctl)
conf = os.path.join(tmp, "lockdepd.conf")
with open(conf, "w") as f:
    f.write("web-host = dash.example.org\nweb-host = Other.Example.\n")
srv = wt.Server(lockdepd, db, ["--config", conf])
c = wt.Checker()
sql = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
P = srv.port
auth = {"Authorization": "Bearer " + srv.token}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def status_of(gid):
    return sql.execute("SELECT status FROM groups WHERE id = ?", (gid,)).fetchone()[0]


# ---- Host ----
for host, want in [("127.0.0.1:%d" % P, 200), ("localhost:%d" % P, 200), ("LOCALHOST.", 200), ("localhost", 200),
                   ("127.0.0.2:%d" % P, 200), ("[::1]:%d" % P, 200), ("dash.example.org:%d" % P, 200),
                   ("DASH.example.org", 200), ("other.example", 200),
                   ("evil.example", 421), ("evil.example:%d" % P, 421), ("dash.example.org.evil.example", 421),
                   ("localhost.evil.example", 421), ("10.1.2.3:%d" % P, 421), ("[fe80::1]", 421),
                   ("127.0.0.1:%d:1" % P, 421), ("", 421)]:
    for path in ["/", "/api/v1/groups", "/healthz", "/static/style.css", "/groups/1"]:
        st, h, b = srv.request("GET", path, headers={"Host": host})
        c.check(st == want, f"Host {host!r} {path} -> {st} (want {want})")
st, h, b = srv.request("GET", "/api/v1/groups", headers={"Host": "evil.example"})
c.check(st == 421 and b"web-host" in b and b"groups" not in b.split(b"web-host")[0], "421 names the fix, no data")
st, _, b = srv.request("GET", "/", headers={"Host": "evil.example"})
c.check(st == 421 and b"<table" not in b, "a rebinding page reads no dashboard")
# a client with the bearer token may use any name (lockdepctl push --url http://collector/)
st, _, _ = srv.request("GET", "/api/v1/groups", headers=dict(auth, Host="collector.internal"))
c.check(st == 200, f"valid bearer token, other Host -> {st}")
st, _, _ = srv.request("GET", "/api/v1/groups", headers={"Host": "collector.internal",
                                                          "Authorization": "Bearer " + "0" * 64})
c.check(st == 421, f"wrong bearer token, other Host -> {st}")
st, _, b = srv.request("POST", "/api/v1/ingest?host=byname", body=b"nothing", headers=dict(auth, Host="collector.internal"))
c.check(st == 200, f"ingest by another name with the token -> {st}")

# ---- the token never from the URL ----
gid = sql.execute("SELECT id FROM groups WHERE status = 'new' ORDER BY id LIMIT 1").fetchone()[0]
for path in ["/?token=" + srv.token, "/api/v1/groups?limit=5&token=" + srv.token, "/healthz?token=x"]:
    st, _, b = srv.request("GET", path)
    c.check(st == 400 and b"Authorization" in b, f"GET {path.split('?')[0]} with ?token= -> {st}")
st, _, b = srv.request("POST", f"/api/v1/groups/{gid}/triage?token={srv.token}",
                       urllib.parse.urlencode({"status": "confirmed"}), FORM)
c.check(st == 400 and status_of(gid) == "new", f"triage with the token in the query string -> {st}, unchanged")
st, _, b = srv.request("POST", f"/api/v1/ingest?host=q&token={srv.token}", body=b"nothing")
c.check(st == 400, f"ingest with the token in the query string -> {st}")
n_before = sql.execute("SELECT count(*) FROM suppressions").fetchone()[0]
st, _, _ = srv.request("POST", f"/api/v1/suppressions?token={srv.token}&class=x", "", FORM)
c.check(st == 400 and sql.execute("SELECT count(*) FROM suppressions").fetchone()[0] == n_before,
        f"suppression with the token in the query string -> {st}, none added")
st, _, _ = srv.request("POST", f"/api/v1/groups/{gid}/triage", {"status": "confirmed", "token": srv.token})
c.check(st == 200 and status_of(gid) == "confirmed", f"token in a JSON body -> {st}")
st, _, _ = srv.request("POST", f"/api/v1/groups/{gid}/triage", {"status": "new"}, auth)
c.check(st == 200 and status_of(gid) == "new", "token in the Authorization header")

# ---- Origin on writes ----
same = f"http://127.0.0.1:{P}"
for origin, site, want in [("http://evil.example", None, 403), ("http://evil.example", "cross-site", 403),
                           ("null", None, 403), (f"http://127.0.0.1:{P + 1}", None, 403),
                           (f"https://evil.example:{P}", None, 403), (f"http://localhost:{P}", None, 403),
                           (None, "cross-site", 403), (None, "same-site", 403),
                           (same, None, 200), (same, "same-origin", 200), (None, None, 200),
                           ("null", "same-origin", 200), ("http://evil.example", "none", 200)]:
    h = dict(auth)
    if origin:
        h["Origin"] = origin
    if site:
        h["Sec-Fetch-Site"] = site
    new = "confirmed" if status_of(gid) == "new" else "new"
    st, _, _ = srv.request("POST", f"/api/v1/groups/{gid}/triage", {"status": new}, h)
    changed = status_of(gid) == new
    c.check(st == want and changed == (want == 200), f"Origin {origin} Sec-Fetch-Site {site} -> {st} (want {want})")
    # a form of another origin with the right token in its body
    if want == 403:
        body = urllib.parse.urlencode({"status": new, "token": srv.token})
        h2 = dict(FORM, **{k: v for k, v in h.items() if k != "Authorization"})
        st, _, _ = srv.request("POST", f"/api/v1/groups/{gid}/triage", body, h2)
        c.check(st == 403 and status_of(gid) != new, f"cross-origin form with the token -> {st}")
st, _, _ = srv.request("POST", "/api/v1/ingest?host=x", body=b"nothing", headers=dict(auth, Origin="http://evil.example"))
c.check(st == 403, f"cross-origin ingest with the token -> {st}")


# ---- a wrong token in a browser form: the form again ----
class Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self.h1, self._h1 = [], "", False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "class": a.get("class"), "inputs": {}})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"][a.get("name")] = a.get("value")
        elif tag == "h1":
            self._h1 = True

    def handle_endtag(self, tag):
        if tag == "h1":
            self._h1 = False

    def handle_data(self, d):
        if self._h1:
            self.h1 += d


note = 'seen "twice" <script>window.__xss=1</script> \u202e'
before = status_of(gid)
wrong = "f" * 64
body = urllib.parse.urlencode({"status": "fixed-in", "value": "6.9-rc1", "note": note, "token": wrong})
st, h, b = srv.request("POST", f"/api/v1/groups/{gid}/triage", body, dict(FORM, Origin=same))
text = b.decode()
p = Form()
p.feed(text)
again = [f for f in p.forms if f["class"] == "again"]
c.check(st == 401 and h.get("content-type", "").startswith("text/html"), f"wrong token in a form -> {st} HTML")
c.check("401" in p.h1 and "Authorization" not in text, "the page speaks to a browser user, not an API client")
c.check(len(again) == 1 and again[0]["action"] == f"/api/v1/groups/{gid}/triage", "the same form again")
c.check(again and again[0]["inputs"].get("note") == note and again[0]["inputs"].get("value") == "6.9-rc1",
        "the fields are kept as they were posted")
c.check(again and again[0]["inputs"].get("token", "") in ("", None) and wrong not in text, "the token is not echoed")
c.check("<script>window" not in text, "kept input is escaped")
c.check(f'href="/groups/{gid}"' in text, "a link back to the group page")
c.check(status_of(gid) == before, "nothing changed")
fields = dict(again[0]["inputs"], token=srv.token) if again else {}
st, h, _ = srv.request("POST", f"/api/v1/groups/{gid}/triage", urllib.parse.urlencode(fields), dict(FORM, Origin=same))
c.check(st == 303 and status_of(gid) == "fixed-in 6.9-rc1", f"sending the kept form with the token saves it -> {st}")
st, h, b = srv.request("POST", "/api/v1/suppressions", urllib.parse.urlencode({"class": "&x->lock", "token": "no"}), FORM)
p = Form()
p.feed(b.decode())
c.check(st == 401 and any(f["inputs"].get("class") == "&x->lock" for f in p.forms) and b'href="/suppressions"' in b,
        "suppression form with a wrong token: the form again, back to /suppressions")
st, h, b = srv.request("POST", f"/api/v1/groups/{gid}/triage", {"status": "new", "token": "no"})
c.check(st == 401 and h.get("content-type") == "application/json", "a JSON client still gets JSON")
c.check(srv.stop() == 0, "lockdepd exits cleanly")
c.done()
