"""What a write changed: rows inserted, updated, removed per table."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class WriteCounts:
    """Rows actually changed by a write: inserted, updated (a value differed or a removed row came
    back), removed (marked ``removed_at``); quarantined entries; pages written."""

    inserted: int = 0
    updated: int = 0
    removed: int = 0
    quarantined: int = 0
    pages: int = 0
    by_table: dict[str, list[int]] = field(default_factory=dict)  # table -> [inserted, updated, removed]
    # Pages whose rows the database refused (quarantined instead): (page URL, reason).
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.removed

    def add(self, table: str, inserted: int = 0, updated: int = 0, removed: int = 0) -> None:
        self.inserted += inserted
        self.updated += updated
        self.removed += removed
        row = self.by_table.setdefault(table, [0, 0, 0])
        row[0] += inserted
        row[1] += updated
        row[2] += removed

    def merge(self, other: WriteCounts) -> WriteCounts:
        for table, (i, u, r) in other.by_table.items():
            self.add(table, i, u, r)
        self.quarantined += other.quarantined
        self.pages += other.pages
        self.failed.extend(other.failed)
        return self
