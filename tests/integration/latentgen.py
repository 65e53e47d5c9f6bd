# SPDX-License-Identifier: LGPL-2.1-or-later
"""Synthetic fleets of /proc/lockdep snapshots with known latent cycles (test-latent.py, bench/latent.py).

Every boot's dependencies are drawn from one global order of classes, so each boot's graph and their
union are acyclic. Cycles are then planted across boots: fresh classes P0..Pk-1 with the edges
P0 -> P1 -> ... -> P0 dealt out to 2..k different boots (none gets them all), each planted class
also taking a few forward edges into the big graph (nothing leads back, so no other cycle forms).
The answer is the set of planted cycles.
"""

import random


def snapshot_text(rng, deps, classes):
    """/proc/lockdep as l_show() prints it: one block per class, its direct dependencies, an empty line."""
    key = {c: "%016x" % rng.getrandbits(64) for c in classes}
    out = {c: [] for c in classes}
    for a, b in deps:
        out[a].append(b)
    lines = ["all lock classes:"]
    for c in classes:
        lines.append("%s FD: %4d BD: %4d +.+.: %s" % (key[c], len(out[c]) + 1, 1, c))
        for b in out[c]:
            lines.append(" -> [%s] %s" % (key[b], b))
        lines.append("")
    return "\n".join(lines) + "\n"


def canonical_cycle(names):
    """A cycle as the store keeps it: rotated so that the smallest name comes first."""
    i = min(range(len(names)), key=lambda k: names[k])
    return tuple(names[i:] + names[:i])


class Fleet:
    def __init__(self, seed, n_classes=2000, pool=6000, n_boots=6, share=0.6, n_planted=3, release="6.8.0-test"):
        self.rng = rng = random.Random(seed)
        self.release = release
        base = ["&c%d->lock" % i for i in range(n_classes)]
        edges = set()
        while len(edges) < pool:
            i, j = sorted(rng.sample(range(n_classes), 2))
            edges.add((base[i], base[j]))
        edges = sorted(edges)
        self.boots = []  # (boot id, host, [deps])
        for b in range(n_boots):
            deps = [e for e in edges if rng.random() < share]
            self.boots.append(["boot-%d-%d" % (seed, b), "host%d" % (b % max(2, n_boots // 2)), deps])
        self.planted = {}  # canonical cycle -> set of boot ids that got its edges
        for c in range(n_planted):
            k = rng.randint(2, 5)
            m = rng.randint(2, min(k, n_boots))
            names = ["&planted%d_%d->sem" % (c, i) for i in range(k)]
            cyc = [(names[i], names[(i + 1) % k]) for i in range(k)]
            owners = rng.sample(range(n_boots), m)
            # every owner gets at least one edge, the rest at random; no owner gets all (m >= 2)
            deal = owners + [rng.choice(owners) for _ in range(k - m)]
            rng.shuffle(deal)
            for (a, b), o in zip(cyc, deal):
                self.boots[o][2].append((a, b))
                for t in rng.sample(base, 3):
                    self.boots[o][2].append((a, t))
            self.planted[canonical_cycle(names)] = {self.boots[o][0] for o in set(deal)}

    def texts(self):
        for boot, host, deps in self.boots:
            classes = sorted({c for d in deps for c in d})
            yield boot, host, snapshot_text(self.rng, deps, classes)
