"""A progress bar for long operator commands (`ops rebuild`, `ops rescore`) on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def render_progress(
    done: int,
    total: int,
    elapsed: float,
    width: int = 30,
    label: str = "rebuild",
    unit: str = "messages",
    rate_unit: str = "msg/s",
) -> str:
    """One progress line: bar, counts, percentage, rate and ETA."""
    share = 1.0 if total == 0 else min(1.0, done / total)
    filled = round(share * width)
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = "--:--:--" if rate == 0 else _clock((total - done) / rate)
    return (
        f"[{label}] [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} {unit}"
        f" {share:6.1%} {rate:,.0f} {rate_unit} ETA {eta}"
    )


def _clock(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


class ProgressBar:
    """Redraws in place on a terminal; prints a line every few seconds into a log."""

    def __init__(
        self,
        stream: TextIO = sys.stderr,
        every: float = 0.25,
        label: str = "rebuild",
        unit: str = "messages",
        rate_unit: str = "msg/s",
    ) -> None:
        self.stream, self.started, self._last = stream, time.monotonic(), 0.0
        self.done = 0
        self._tty = stream.isatty()
        self._every = every if self._tty else 5.0
        self._words = (label, unit, rate_unit)

    def update(self, done: int, total: int) -> None:
        """Show progress, at most every few tenths of a second (always when finished)."""
        now, self.done = time.monotonic(), done
        if now - self._last < self._every and done < total:
            return
        self._last = now
        line = render_progress(done, total, now - self.started, 30, *self._words)
        self.stream.write(f"\r{line}" if self._tty else f"{line}\n")
        self.stream.flush()

    def finish(self, message: str) -> None:
        """End the bar with a closing line."""
        self.stream.write(("\n" if self._tty else "") + message + "\n")
        self.stream.flush()
