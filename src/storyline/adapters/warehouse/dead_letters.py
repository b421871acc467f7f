"""The dead-letter repository: items a stage could not process, kept with their payload for `storyline replay`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from storyline.adapters.warehouse.engine import Repository
from storyline.adapters.warehouse.tables import DeadLetterRow
from storyline.domain.records import DeadLetter

_MESSAGE_CHARS = 4000


class SqlDeadLetters(Repository):
    def record_dead_letter(self, letter: DeadLetter) -> None:
        """One row per (stage, subject): another failure of it replaces the row and counts an attempt; the same one
        again (a redelivered record) changes nothing."""
        with self.db.transaction() as tx:
            existing = tx.session.get(DeadLetterRow, (letter.stage, letter.subject))
            if existing is None:
                tx.session.add(
                    DeadLetterRow(
                        stage=letter.stage,
                        subject=letter.subject,
                        error_kind=letter.error_kind,
                        message=letter.message[:_MESSAGE_CHARS],
                        payload=letter.payload,
                        at=letter.at,
                        attempts=letter.attempts,
                    )
                )
            elif (existing.error_kind, existing.payload) != (letter.error_kind, letter.payload):
                existing.error_kind, existing.message = letter.error_kind, letter.message[:_MESSAGE_CHARS]
                existing.payload, existing.at = letter.payload, letter.at
                existing.attempts += 1

    def dead_letters(self, stage: str | None = None) -> list[DeadLetter]:
        stmt = select(DeadLetterRow).order_by(DeadLetterRow.stage, DeadLetterRow.subject)
        if stage:
            stmt = stmt.where(DeadLetterRow.stage == stage)
        with self.db.transaction() as tx:
            return [
                DeadLetter(r.stage, r.subject, r.error_kind, r.message, r.payload, r.at, r.attempts)
                for r in tx.session.scalars(stmt)
            ]

    def clear_dead_letter(self, stage: str, subject: str) -> None:
        with self.db.transaction() as tx:
            tx.session.execute(
                delete(DeadLetterRow).where(DeadLetterRow.stage == stage, DeadLetterRow.subject == subject)
            )

    def dead_lettered(self, stage: str, subjects: Iterable[str]) -> set[str]:
        with self.db.transaction() as tx:
            return tx.present(DeadLetterRow.subject, subjects, DeadLetterRow.stage == stage)
