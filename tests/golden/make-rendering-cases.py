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

  render-dmesg-T.txt ... render-qp.txt   one case per rendering of issue 10, each from a corpus
                          report through lockdeptest.ALL_RENDERINGS plus real-looking text around
                          it (see NEW below), and render-wrapped-72.txt (a mail re-wrapped at 72)
  fs-inode-pair.txt       two circular reports that differ only in the filesystem of the inode lock
                          (XFS and f2fs sites): different signatures
  internal-four.txt       four different lockdep self-warnings, each after an unrelated line: four
                          different signatures

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


NEW = {
    # case name: (rendering, corpus file, text before, text after)
    "render-dmesg-T.txt": ("dmesg-T", "linux_report_185.txt", ["[Tue Jan 14 03:58:10 2025] loop0: detected capacity change from 0 to 8"], []),
    "render-dmesg-x.txt": ("dmesg-x", "linux_report_466.txt", ["kern  :info  : [  127.001122] loop0: detected capacity change from 0 to 8"], []),
    "render-dmesg-H.txt": ("dmesg-H-comma", "linux_report_747.txt", [], ["[  +0,000311] device wireguard1 left promiscuous mode"]),
    "render-dmesg-d.txt": ("dmesg-d", "linux_report_234.txt", [], []),
    "render-dmesg-iso.txt": ("dmesg-iso", "linux_report_553.txt", ["2025-01-14T03:58:11,000001+00:00 EXT4-fs (sda1): re-mounted."], []),
    "render-dmesg-color.txt": ("dmesg-color", "linux_report_26.txt", [], []),
    "render-journal-short-full.txt": ("journal-short-full", "linux_report_528.txt", ["Tue 2025-01-14 03:58:10 UTC testbox systemd[1]: Started Journal Service."], []),
    "render-journal-short-unix.txt": ("journal-short-unix", "linux_report_530.txt", ["1736823490.000001 testbox systemd[1]: Starting Cleanup..."], []),
    "render-journal-no-host.txt": ("journal-no-host", "linux_report_539.txt", [], []),
    "render-busybox.txt": ("syslog-busybox", "linux_report_250.txt", [], []),
    "render-rfc5424.txt": ("syslog-rfc5424", "linux_report_343.txt", [], []),
    "render-indent-fence.txt": ("fence", "linux_guilty_61.txt", [], []),
    "render-indent4.txt": ("indent4", "linux_report_189.txt", ["Hi all,", "", "we see this on our CI:", ""], ["", "Any idea?"]),
    "render-tab.txt": ("tab", "linux_report_161.txt", [], []),
    "render-zvm.txt": ("zvm", "linux_report_166.txt", [], []),
    "render-lineno.txt": ("viewer-lineno", "linux_report_31.txt", [], []),
    "render-cat-n.txt": ("cat-n", "linux_report_32.txt", [], []),
    "render-qp.txt": ("qp", "linux_report_466.txt", ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", ""], []),
}

FS_REPORT = """[  311.004812] ======================================================
[  311.005141] WARNING: possible circular locking dependency detected
[  311.005460] 6.1.0-rc4 #1 Not tainted
[  311.005781] ------------------------------------------------------
[  311.006101] fsstress/2211 is trying to acquire lock:
[  311.006420] ffff88810b5d9a58 (&mm->mmap_lock){++++}-{3:3}, at: __might_fault+0x5e/0xc0
[  311.006741]
[  311.006741] but task is already holding lock:
[  311.007061] ffff888112b3c8b0 (&sb->s_type->i_mutex_key#14){++++}-{3:3}, at: {W}+0x2d/0x60{M}
[  311.007381]
[  311.007381] which lock already depends on the new lock.
[  311.007381]
[  311.007702]
[  311.007702] the existing dependency chain (in reverse order) is:
[  311.008021]
[  311.008021] -> #1 (&sb->s_type->i_mutex_key#14){++++}-{3:3}:
[  311.008341]        lock_acquire+0xd3/0x2f0
[  311.008661]        down_write+0x3b/0xd0
[  311.008980]        {W}+0x2d/0x60{M}
[  311.009300]        vfs_write+0x2b0/0x3e0
[  311.009619]        ksys_write+0x5f/0xe0
[  311.009939]
[  311.009939] -> #0 (&mm->mmap_lock){++++}-{3:3}:
[  311.010259]        __lock_acquire+0x12a6/0x1f60
[  311.010578]        lock_acquire+0xd3/0x2f0
[  311.010898]        __might_fault+0x6e/0xc0
[  311.011217]        {R}+0x1e/0x40{M}
[  311.011537]        vfs_write+0x2b0/0x3e0
[  311.011856]
[  311.011856] other info that might help us debug this:
[  311.011856]
[  311.012176]  Possible unsafe locking scenario:
[  311.012176]
[  311.012496]        CPU0                    CPU1
[  311.012815]        ----                    ----
[  311.013135]   lock(&sb->s_type->i_mutex_key#14);
[  311.013455]                                lock(&mm->mmap_lock);
[  311.013774]                                lock(&sb->s_type->i_mutex_key#14);
[  311.014094]   lock(&mm->mmap_lock);
[  311.014413]
[  311.014413]  *** DEADLOCK ***
[  311.014413]
[  311.014733] 1 lock held by fsstress/2211:
[  311.015052]  #0: ffff888112b3c8b0 (&sb->s_type->i_mutex_key#14){++++}-{3:3}, at: {W}+0x2d/0x60{M}
[  311.015372]
[  311.015372] stack backtrace:
[  311.015691] CPU: 1 PID: 2211 Comm: fsstress Not tainted 6.1.0-rc4 #1
[  311.016011] Call Trace:
[  311.016330]  <TASK>
[  311.016650]  dump_stack_lvl+0x5b/0x77
[  311.016969]  check_noncircular+0xfe/0x110
[  311.017289]  __lock_acquire+0x12a6/0x1f60
[  311.017608]  lock_acquire+0xd3/0x2f0
[  311.017928]  __might_fault+0x6e/0xc0
[  311.018247]  {R}+0x1e/0x40{M}
[  311.018567]  vfs_write+0x2b0/0x3e0
[  311.018886]  ksys_write+0x5f/0xe0
[  311.019206]  do_syscall_64+0x3b/0x90
[  311.019525]  entry_SYSCALL_64_after_hwframe+0x63/0xcd
[  311.019845]  </TASK>
"""

INTERNAL = [
    # (line before the WARNING, the report lines)
    ("[  151.124001] loop0: detected capacity change from 0 to 264192",
     ["[  151.124619] DEBUG_LOCKS_WARN_ON(depth <= 0)",
      "[  151.124680] WARNING: CPU: 1 PID: 21689 at kernel/locking/lockdep.c:3676 lock_release+0x6e6/0xa40"]),
    ("```",
     ["[  336.590001] downgrading a read lock",
      "[  336.590271] WARNING: CPU: 1 PID: 13845 at kernel/locking/lockdep.c:3553 lock_downgrade+0x4d2/0x910"]),
    ("[ 2979.659001] loop0: detected capacity change from 0 to 264192",
     ["[ 2979.659060] WARNING: CPU: 0 PID: 4073 at kernel/locking/lockdep.c:734 register_lock_class+0xe10/0x1860"]),
    ("```",
     ["[ 2980.100001] BUG: key ffff88807e1c3a10 has not been registered!"]),
]
INTERNAL_TAIL = ["Modules linked in:", "CPU: 1 PID: 21689 Comm: syz-executor0 Not tainted 6.1.0 #1",
                 "Hardware name: QEMU Standard PC (i440FX + PIIX, 1996)", "RIP: 0010:lockdep_func+0x6e6/0xa40",
                 "Call Trace:", " <TASK>", " dump_stack_lvl+0x5b/0x77", " do_syscall_64+0x3b/0x90", " </TASK>",
                 "---[ end trace 0000000000000000 ]---"]


def new_case(shared, style, name, before, after):
    import random
    lines = load(shared, name)
    body = lt.render(lines, style, random.Random(name)).decode("utf-8", errors="surrogateescape")
    return "".join(l + "\n" for l in before) + body + "".join(l + "\n" for l in after)


def fs_pair():
    xfs = FS_REPORT.replace("{W}", "xfs_ilock").replace("{R}", "xfs_file_buffered_write").replace("{M}", " [xfs]")
    f2fs = FS_REPORT.replace("{W}", "f2fs_file_write_iter").replace("{R}", "f2fs_buffered_write_iter").replace("{M}", "")
    return xfs + "[  400.000000] second machine\n" + f2fs.replace("[  3", "[  5")


def internal_four():
    out = []
    for before, lines in INTERNAL:
        out.append(before)
        out += lines
        t = lines[-1][1:lines[-1].index("]")]
        out += [f"[{t[:-1]}{i}] {l}" for i, l in enumerate(INTERNAL_TAIL)]
    return "".join(l + "\n" for l in out)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    shared, outdir = sys.argv[1:3]
    cases = {
        "render-syslog-012.txt": syslog012(load(shared, "linux_report_26.txt")),
        "render-kmsg.txt": kmsg(load(shared, "linux_report_466.txt")),
        "render-journal.txt": journal(load(shared, "linux_guilty_61.txt")),
        "render-crlf-mail.txt": crlf_mail(load(shared, "linux_report_234.txt")),
        "render-wrapped-72.txt": lt.wrap(lt.render(load(shared, "linux_report_185.txt"), "mail",
                                                   __import__("random").Random(72)), 72).decode(),
        "fs-inode-pair.txt": fs_pair(),
        "internal-four.txt": internal_four(),
    }
    for case, (style, src, before, after) in NEW.items():
        cases[case] = new_case(shared, style, src, before, after)
    for name, text in cases.items():
        with open(os.path.join(outdir, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
