#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the hand-made rendering cases of tests/golden/cases/ from corpus reports.

  render-syslog-012.txt   rsyslog fed by journald: RFC 3164 prefix, one line per printk record,
                          embedded newlines as #012 (from linux_report_26, 4.14 circular)
  render-kmsg.txt         a /dev/kmsg record dump "level,seq,usec,flags,caller=T..;text" with \\x0a
                          escapes (from linux_report_466, 5.5 circular with caller ids)
  render-journal.txt      journalctl -o short-precise, multi-line records with continuation lines
                          indented to the message column (from linux_guilty_61, 6.2 circular)
  render-crlf-mail.txt    a quoted mail ("> ") with CRLF line ends (from linux_report_234, recursive)

The outputs are committed; this script documents how they were made (deterministic).
Usage: make-rendering-cases.py SHARED OUTDIR
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import lockdeptest as lt  # noqa: E402


def load(shared, name):
    with open(os.path.join(shared, "corpus", "syzkaller", name), encoding="utf-8") as f:
        return lt.bare_lines(f.read())


def syslog012(lines):
    out = ["Jan 14 03:12:40 syzkaller systemd[1]: Started Journal Service.",
           "Jan 14 03:12:41 syzkaller kernel: [  127.401122] loop0: detected capacity change from 0 to 8",
           "Jan 14 03:12:41 syzkaller sshd[412]: Accepted publickey for root from 10.0.2.2 port 52114"]
    for rec in lt.records(lines):
        out.append("Jan 14 03:12:41 syzkaller kernel: " + rec.replace("\n", "#012"))
    out.append("Jan 14 03:12:42 syzkaller systemd[1]: session-1.scope: Succeeded.")
    return "".join(l + "\n" for l in out)


def kmsg(lines):
    out = ["6,2201,2718371001,-,caller=T3701;loop5: detected capacity change from 0 to 264192",
           "6,2202,2718372050,-,caller=T3699;wireguard: wireguard1: Interface created"]
    seq, usec = 2203, 2718379077
    for rec in lt.records(lines):
        out.append(f"4,{seq},{usec},-,caller=T3699;{lt.kmsg_escape(rec)}")
        seq += 1
        usec += 113
    out.append(f"6,{seq},{usec + 5000},-,caller=T3702;device wireguard1 left promiscuous mode")
    return "".join(l + "\n" for l in out)


def journal(lines):
    out = ["Feb 03 10:11:11.902114 syzkaller systemd-journald[101]: Journal started",
           "Feb 03 10:11:12.004431 syzkaller kernel: EXT4-fs (sda1): re-mounted. Quota mode: none."]
    usec = 12345678
    for rec in lt.records(lines):
        prefix = f"Feb 03 10:11:{12 + usec // 1000000 % 40:02d}.{usec % 1000000:06d} syzkaller kernel: "
        parts = rec.split("\n")
        out.append(prefix + parts[0])
        out += [" " * len(prefix) + p for p in parts[1:]]
        usec += 97
    out.append("Feb 03 10:11:20.000001 syzkaller systemd[1]: Reached target Shutdown.")
    return "".join(l + "\n" for l in out)


def crlf_mail(lines):
    head = ["Hello,", "", "syzbot found the following issue on:", "",
            "HEAD commit:    5a2d2a7 (4.16.0+)", "", "IMPORTANT: if you fix the issue, please add a tag.", ""]
    out = [f"On Tue, Apr 17, 2018 at 9:41 AM, syzbot wrote:"]
    out += [("> " + l) if l else ">" for l in head]
    t = 577935684
    for l in lines:
        out.append(f"> [{t // 1000000:5d}.{t % 1000000:06d}] {l}")
        t += 761
    out += [">", "", "Looks like the rtnl_lock is taken twice here.", ""]
    return "".join(l + "\r\n" for l in out)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    shared, outdir = sys.argv[1:3]
    cases = {
        "render-syslog-012.txt": syslog012(load(shared, "linux_report_26.txt")),
        "render-kmsg.txt": kmsg(load(shared, "linux_report_466.txt")),
        "render-journal.txt": journal(load(shared, "linux_guilty_61.txt")),
        "render-crlf-mail.txt": crlf_mail(load(shared, "linux_report_234.txt")),
    }
    for name, text in cases.items():
        with open(os.path.join(outdir, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
