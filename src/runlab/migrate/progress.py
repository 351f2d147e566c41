"""Progress of an import: one bar per phase (experiments, runs, metric points,
artifacts, models) with counts and throughput, drawn by rich on stderr; or nothing."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.progress import Progress as RichBars
    from rich.progress import Task
    from rich.text import Text

__all__ = ["BarProgress", "Phase", "Progress"]


class Phase:
    """One phase's counter."""

    def advance(self, amount: int = 1) -> None: ...

    def add_total(self, amount: int) -> None: ...


class Progress:
    """No bars (the default, and what tests and scripts get)."""

    def phase(self, name: str, unit: str) -> Phase:
        return Phase()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class _RichPhase(Phase):
    def __init__(self, bars: RichBars, task: Any) -> None:
        self.bars, self.task = bars, task

    def advance(self, amount: int = 1) -> None:
        self.bars.advance(self.task, amount)

    def add_total(self, amount: int) -> None:
        total = self.bars.tasks[self.task].total or 0
        self.bars.update(self.task, total=total + amount)


class BarProgress(Progress):
    """Bars on stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichProgress

        class Rate(ProgressColumn):
            def render(self, task: Task) -> Text:
                from rich.text import Text

                speed = task.finished_speed or task.speed
                unit = task.fields.get("unit", "")
                if not speed:
                    return Text("")
                if unit == "bytes":
                    return Text(f"{speed / 1e6:,.1f} MB/s")
                return Text(f"{speed:,.0f} {unit}/s")

        self.bars = RichProgress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )

    def phase(self, name: str, unit: str) -> Phase:
        # No total until a source says how much there is (metric points are counted only
        # as they are read): the bar shows the count alone, not "n/0".
        return _RichPhase(self.bars, self.bars.add_task(name, total=None, unit=unit))

    def __enter__(self) -> Progress:
        self.bars.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.bars.stop()
