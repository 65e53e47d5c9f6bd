-- 0009: the triage of latent cycles (docs/LATENT.md).
-- Keyed by the cycle's signature, latent_cycles.classes (its canonical classes as a JSON array in
-- canonical rotation, the smallest name first), not by latent_cycles.id: re-analysis deletes and
-- re-creates rows, a signature stays. One verdict per signature, for every release it appears in.

CREATE TABLE latent_triage (
        signature TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('new', 'confirmed', 'false-positive', 'ignored')),
        note TEXT,
        changed INTEGER NOT NULL           -- realtime usec of the last change
);
