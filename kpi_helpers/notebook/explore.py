"""Explore: widgets that re-render views with another segment or period."""


import html
import time
from typing import Any, Callable

import pandas as pd

from ..errors import KpiInputError
from ..labels import channel_label, device_label, label
from .context import Context, _fmt_date, _segment_values
from .display import _COLLECT, note

# ----------------------------------------------------------------------------------------------
# Explore: widgets that re-render views with another segment or period


def view(fn: Callable, *args: Any, **kwargs: Any) -> Callable[[Context], Any]:
    """A view to re-render in :func:`explore`: ``nb.view(nb.breakdown, "conversion_rate", by="device")``."""
    return lambda ctx: fn(ctx, *args, **kwargs)


def _main_loop() -> Any:
    """The event loop of the kernel's main thread, or None outside a kernel (a script, the tests)."""
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:  # pragma: no cover (ipykernel is a dependency)
        return None
    return getattr(Kernel.instance(), "io_loop", None) if Kernel.initialized() else None


class _Later:
    """Runs ``fn`` on the kernel's main thread, ``delay`` seconds after the last request.

    Widget callbacks may run on a thread other than the main one (ipykernel 7 handles comm messages
    on its shell channel and subshell threads); the views share the client's DuckDB connection and
    Matplotlib's text machinery, so every re-render is handed to the main thread's loop
    (``add_callback`` is its one thread-safe entry) and runs there, one at a time. A new request
    within the delay replaces the pending one. Outside a kernel, ``fn`` runs at once.
    """

    def __init__(self, fn: Callable[[], None]):
        self.fn, self.loop, self.pending = fn, _main_loop(), None

    def request(self, delay: float = 0.0) -> None:
        if self.loop is None:
            self.fn()
        else:
            self.loop.add_callback(self._arm, delay)

    def _arm(self, delay: float) -> None:  # on the main thread
        if self.pending is not None:
            self.loop.remove_timeout(self.pending)
        self.pending = self.loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self.pending = None
        self.fn()


#: Seconds to wait after a date changes before re-rendering: typing a date sends one value per keystroke.
DATE_SETTLE = 0.3


def render_html(ctx: Context, *views: Callable[[Context], Any]) -> str:
    """What ``views`` show for ``ctx``, as one HTML fragment (charts as embedded PNG images).

    A problem with the choice (a :class:`KpiInputError`) or a view that fails becomes one sentence
    in the fragment, never a traceback.
    """
    blocks: list[str] = []
    token = _COLLECT.set(blocks)
    try:
        for v in views:
            v(ctx)
    except KpiInputError as exc:
        note(str(exc))
    except Exception as exc:  # noqa: BLE001: shown to the analyst as one sentence
        note((f"Cette vue n'a pas pu être affichée ({type(exc).__name__} : {exc})" if ctx.language == "fr" else
              f"This view could not be shown ({type(exc).__name__}: {exc})"))
    finally:
        _COLLECT.reset(token)
    return '<div class="jp-RenderedHTMLCommon">' + "".join(blocks) + "</div>"


def _choice_problem(ctx: Context, start: Any, end: Any, first: Any, last: Any) -> str | None:
    """The sentence that explains why a picked period cannot be shown, or None."""
    fr = ctx.language == "fr"
    if start is None or end is None:
        return "Choisissez une date de début et une date de fin." if fr else "Pick a start and an end date."
    if first is not None and last is not None and (start < first or end > last or start > last or end < first):
        span = f"{_fmt_date(first, ctx.language)} → {_fmt_date(last, ctx.language)}"
        return (f"Les données de ce client vont du {span.replace(' → ', ' au ')} : choisissez des dates dans cet intervalle."
                if fr else f"This client's data covers {span}: pick dates within it.")
    if start > end:
        return "La date de début est après la date de fin." if fr else "The start date is after the end date."
    return None


def explore(ctx: Context, *views: Callable[[Context], Any], segments: bool = True):
    """Pickers for the period (and channel and device when ``segments``) that re-render ``views``.

    The views are re-rendered by the same helpers as the cells above, into one HTML widget (charts as
    PNG images): no ``Output`` widget. A headless run (papermill, nbval, the reports) has no front
    end; papermill's client then stands in for one and answers every output captured by an Output
    widget with a message on the kernel's shell socket, sent past the socket's event loop while
    that loop waits for the cell's reply: when the reply lands just before that send, its wake-up is
    lost and the run waits forever (``benchmarks/SOAK.md``). Re-renders run on the kernel's main
    thread (see :class:`_Later`), dates a moment after the last keystroke; a period outside the
    client's data, or a start after the end, is one sentence.

    Returns the widget box (its ``render_seconds`` attribute holds the duration of the last
    re-render, for measurement; ``render()`` re-renders at once).
    """
    import ipywidgets as w

    lang = ctx.language
    first, last = (pd.Timestamp(d).date() if d is not None else None for d in ctx.client.date_range(through=ctx.client.today()))
    rows = []
    ch = dv = None
    # channel and device pick sessions: a client without sessions (social media only) gets no such pickers
    if segments and ctx.client.has("sessions"):
        all_text = label("all", lang)
        channels = [(all_text, "")] + [(channel_label(c, lang), c) for c in _segment_values(ctx.client, "channel")]
        devices = [(all_text, "")] + [(device_label(d, lang), d) for d in _segment_values(ctx.client, "device")]
        ch = w.Dropdown(options=channels, value=ctx.channel or "", description=label("channel", lang))
        dv = w.Dropdown(options=devices, value=ctx.device or "", description=label("device", lang))
        rows.append(w.HBox([ch, dv]))
    st = w.DatePicker(value=ctx.start, description="Début" if lang == "fr" else "Start")
    en = w.DatePicker(value=ctx.end, description="Fin" if lang == "fr" else "End")
    # no min/max on the pickers: ipywidgets would clamp a date being typed (0002-..., 0020-...) and send
    # the clamped value back into the field under the analyst's fingers; a date out of range is a sentence
    rows.append(w.HBox([st, en]))
    shown = w.HTML()
    box = w.VBox([*rows, shown])
    box.render_seconds = None

    def render() -> None:
        t0 = time.perf_counter()
        problem = _choice_problem(ctx, st.value, en.value, first, last)
        if problem:
            shown.value = f'<p class="kpi-note">{html.escape(problem)}</p>'
        else:
            sub = ctx.replace(channel=(ch.value or None) if ch else ctx.channel,
                              device=(dv.value or None) if dv else ctx.device, start=st.value, end=en.value)
            shown.value = render_html(sub, *views)
        box.render_seconds = time.perf_counter() - t0

    later = _Later(render)
    for picker in (ch, dv):
        if picker is not None:
            picker.observe(lambda _: later.request(), names="value")
    for picker in (st, en):
        picker.observe(lambda _: later.request(DATE_SETTLE), names="value")
    render()
    box.render = render
    return box
