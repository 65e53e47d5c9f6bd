#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The dashboard in a real headless Chromium (usage: test-web-browser.py LOCKDEPD LOCKDEPCTL OUTDIR).

Covers: the group list shows every group of `lockdepctl list --json` with its report count;
clicking a group opens its page with the SVG cycle naming the right classes; a kind filter
narrows the list; triage through the page's form changes the status with the pasted token and is
refused without it; pages with HTML/JS payloads in task and lock names render them as text and no
script runs (window.__xss stays undefined, no alert); no CSP violation is reported. Screenshots
of each page go to OUTDIR (the meson build directory's web-screenshots/). Skips (77) without
chromium, chromedriver or python3-selenium.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

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
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    wt.skip("python3-selenium is not installed")

os.makedirs(outdir, exist_ok=True)
tmp, db = wt.make_db(ctl, [("xss.txt", wt.xss_log()), ("xss2.txt", wt.xss_log(wt.XSS_TASK2))])
srv = wt.Server(lockdepd, db)
c = wt.Checker()
groups = [json.loads(line) for line in subprocess.run([ctl, "--db", db, "list", "--json"], check=True,
                                                       capture_output=True, text=True).stdout.splitlines()]

profile = tempfile.mkdtemp(prefix="chromium-")
opts = webdriver.ChromeOptions()
opts.binary_location = chromium
for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1400,1000"]:
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
for attempt in range(3):  # the first start of a fresh profile occasionally fails to connect
    try:
        browser = webdriver.Chrome(service=Service(driver_path), options=opts)
        break
    except Exception as e:
        if attempt == 2:
            raise
        print(f"# chromium did not start ({str(e).splitlines()[0]}), retrying")
browser.set_page_load_timeout(30)


def shot(name):
    browser.save_screenshot(os.path.join(outdir, name + ".png"))


def no_script_ran(what):
    try:
        text = browser.switch_to.alert.text
        c.check(False, f"{what}: an alert popped up: {text!r}")
        browser.switch_to.alert.dismiss()
        return
    except NoAlertPresentException:
        pass
    c.check(browser.execute_script("return typeof window.__xss") == "undefined", f"{what}: no payload ran")


try:
    # ---- the list ----
    browser.get(srv.base + "/?limit=1000")
    shot("groups")
    rows = browser.find_elements(By.CSS_SELECTOR, "#groups tbody tr")
    c.check(len(rows) == len(groups), f"the list shows {len(rows)} of {len(groups)} groups")
    shown = {int(r.find_elements(By.TAG_NAME, "td")[0].text): int(r.find_elements(By.TAG_NAME, "td")[3].text)
             for r in rows}
    c.check(shown == {g["id"]: g["n_reports"] for g in groups}, "ids and report counts match lockdepctl list")
    c.check(browser.find_element(By.ID, "total").text == str(len(groups)), "total count")
    sparks = browser.execute_script(
        "return Array.from(document.querySelectorAll('img.spark')).slice(0, 5).map(i => i.complete && i.naturalWidth > 0)")
    c.check(len(sparks) == 5 and all(sparks), "the sparkline images of the first rows loaded")
    no_script_ran("group list")

    # ---- a filter narrows the list ----
    browser.get(srv.base + "/")
    from selenium.webdriver.support.ui import Select
    Select(browser.find_element(By.NAME, "kind")).select_by_visible_text("recursive")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    WebDriverWait(browser, 20).until(lambda b: "kind=recursive" in b.current_url and
                                     b.execute_script("return document.readyState") == "complete")
    want = [g for g in groups if g["kind"] == "recursive"]
    rows = browser.find_elements(By.CSS_SELECTOR, "#groups tbody tr")
    c.check(0 < len(rows) == len(want) < len(groups), f"kind=recursive narrows to {len(rows)} (want {len(want)})")
    c.check("kind=recursive" in browser.current_url, "the filter is in the URL")
    shot("groups-filtered")

    # ---- a circular group: click through to the SVG cycle ----
    target = next(g for g in groups if g["kind"] == "circular" and "<" not in g["key"])
    browser.get(srv.base + "/?limit=1000")
    browser.find_element(By.CSS_SELECTOR, f"#groups a[href='/groups/{target['id']}']").click()
    c.check(browser.current_url.endswith(f"/groups/{target['id']}"), "clicking a group opens its page")
    detail = json.loads(srv.request("GET", f"/api/v1/groups/{target['id']}")[2])
    classes = detail["parsed"]["classes"]
    labels = [t.get_attribute("textContent") for t in browser.find_elements(By.CSS_SELECTOR, "svg#cycle g.node title")]
    c.check(sorted(labels) == sorted(set(classes)), f"the SVG cycle names the classes {classes}")
    c.check(len(browser.find_elements(By.CSS_SELECTOR, "svg#cycle g.edge")) >= 2, "the cycle has arrows")
    c.check(len(browser.find_elements(By.CSS_SELECTOR, "table.scenario tr")) > 1, "CPU0/CPU1 scenario")
    c.check(len(browser.find_elements(By.CSS_SELECTOR, "pre.report mark")) > 0, "representative report highlighted")
    shot("group")

    # ---- triage through the form ----
    def triage(token):
        browser.get(f"{srv.base}/groups/{target['id']}")
        form = browser.find_element(By.CSS_SELECTOR, "form.triage")
        Select(form.find_element(By.NAME, "status")).select_by_visible_text("confirmed")
        form.find_element(By.NAME, "token").send_keys(token)
        before = browser.find_element(By.TAG_NAME, "html")
        form.find_element(By.CSS_SELECTOR, "button").click()
        WebDriverWait(browser, 20).until(lambda b: b.find_element(By.TAG_NAME, "html") != before and
                                         b.execute_script("return document.readyState") == "complete")

    triage("not-the-token")
    c.check("401" in browser.find_element(By.TAG_NAME, "h1").text, "triage with a wrong token is refused")
    kept = browser.find_elements(By.CSS_SELECTOR, "form.again input[name=status]")
    c.check(len(kept) == 1 and kept[0].get_attribute("value") == "confirmed" and
            browser.find_element(By.CSS_SELECTOR, "form.again input[name=token]").get_attribute("value") == "",
            "the refused form comes back with its input kept, the token field empty")
    shot("triage-refused")
    browser.get(f"{srv.base}/groups/{target['id']}")
    c.check(browser.find_element(By.ID, "status").text == "new", "status unchanged without the token")
    triage(srv.token)
    c.check(browser.current_url.endswith(f"/groups/{target['id']}"), "back on the group page after triage")
    c.check(browser.find_element(By.ID, "status").text == "confirmed", "status is confirmed with the token")
    shot("triaged")

    # ---- XSS ----
    xss = [g for g in groups if "img" in g["key"] or "script" in g["key"]]
    c.check(len(xss) >= 1, "the payload groups were imported")
    for g in xss:
        browser.get(f"{srv.base}/groups/{g['id']}")
        no_script_ran(f"group {g['id']}")
        page = browser.find_element(By.TAG_NAME, "body").text
        c.check(wt.XSS_LOCK_A in page and wt.XSS_LOCK_B in page, "payload lock names shown as text")
        c.check(len(browser.find_elements(By.CSS_SELECTOR, "img")) == 0, "no injected <img>")
        c.check(len(browser.find_elements(By.CSS_SELECTOR, "svg#cycle g.node")) == 4, "SVG intact (4 nodes)")
        shot(f"xss-group-{g['id']}")
        rep = json.loads(srv.request("GET", f"/api/v1/groups/{g['id']}")[2])["representative"]
        browser.get(f"{srv.base}/reports/{rep}")
        no_script_ran(f"report {rep}")
        task = browser.find_element(By.CSS_SELECTOR, "code.task").text
        c.check(task in (wt.XSS_TASK, wt.XSS_TASK2), f"task name shown as text: {task!r}")
        shot(f"xss-report-{rep}")
    for path, name in [("/graph", "graph"), ("/locks", "locks"), ("/?limit=1000", "groups-xss"),
                       ("/locks/" + __import__("urllib.parse").parse.quote(wt.XSS_LOCK_B, safe=""), "xss-lock"),
                       ("/suppressions", "suppressions")]:
        browser.get(srv.base + path)
        no_script_ran(path)
        shot(name)
    browser.get(srv.base + "/graph")
    c.check(len(browser.find_elements(By.CSS_SELECTOR, "svg#fleet g.edge")) > 0, "fleet graph has edges")
    c.check(len(browser.find_elements(By.CSS_SELECTOR, "svg#fleet g.edge.new")) > 0, "newest-kernel edges highlighted")

    # client-side sorting (app.js) works under the CSP: click the Kernel column of the occurrences
    browser.get(f"{srv.base}/groups/{target['id']}")
    ths = browser.find_elements(By.CSS_SELECTOR, "#occurrences th.js-sort")
    c.check(len(ths) > 0, "app.js made the occurrence table sortable")
    # a list sorted and paged on the server gets no client-side sorting: it would sort one page
    for path, table in [("/locks", "locks"), ("/hosts", "hosts"), ("/kernels", "kernels"), ("/", "groups")]:
        browser.get(srv.base + path)
        n_th = len(browser.find_elements(By.CSS_SELECTOR, f"#{table} th"))
        n_js = len(browser.find_elements(By.CSS_SELECTOR, f"#{table} th.js-sort"))
        c.check(n_th > 0 and n_js == 0, f"{path}: {n_th} headers, {n_js} sorted in the browser (want 0)")
    logs = browser.get_log("browser")
    csp = [entry["message"] for entry in logs if "Content Security Policy" in entry["message"]]
    c.check(not csp, f"no CSP violations: {csp[:2]}")
finally:
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)
    srv.stop()
print(f"screenshots in {outdir}")
c.done()
