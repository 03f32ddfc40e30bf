"""Step-by-step progress on stderr: a live spinner on a terminal, one line per step elsewhere."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_FRAMES = "|/-\\"


class Step:
    """One running step; `update()` sets the detail shown after its title."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.detail = ""
        self.started = time.monotonic()

    def update(self, detail: str) -> None:
        """Show progress inside the step, e.g. `1200/3400 files`."""
        self.detail = detail

    def elapsed(self) -> float:
        """Seconds since the step started."""
        return time.monotonic() - self.started


class Progress:
    """Reports steps; animates them only when the stream is a terminal."""

    def __init__(
        self, stream: TextIO | None = None, *, enabled: bool = True, live: bool | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = self.stream.isatty() if live is None else live

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        """Run a step; print it with its duration when it ends (or `failed`)."""
        step = Step(title)
        stop = threading.Event()
        spinner = None
        if self.enabled and self.live:
            spinner = threading.Thread(target=self._spin, args=(step, stop), daemon=True)
            spinner.start()
        ok = False
        try:
            yield step
            ok = True
        finally:
            stop.set()
            if spinner:
                spinner.join()
            if self.enabled:
                mark = "done" if ok else "failed"
                detail = f" {step.detail}" if step.detail else ""
                clear = "\r\033[K" if self.live else ""
                took = f"{step.elapsed():.1f} s"
                self.stream.write(f"{clear}{step.title}: {mark} in {took}{detail}\n")
                self.stream.flush()

    def _spin(self, step: Step, stop: threading.Event) -> None:
        frame = 0
        while not stop.wait(0.1):
            detail = f" {step.detail}" if step.detail else ""
            self.stream.write(
                f"\r\033[K{_FRAMES[frame % 4]} {step.title} {step.elapsed():.0f} s{detail}"
            )
            self.stream.flush()
            frame += 1
