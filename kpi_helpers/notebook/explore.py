"""Explore: widgets that re-render views with another segment or period."""


import gc
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


class View:
    """A view to re-render in :func:`explore`: a view function and its arguments after the context.

    It knows the KPIs it shows (the KPI ids among its arguments), so that :func:`explore` offers
    only the pickers that apply to them.
    """

    def __init__(self, fn: Callable, *args: Any, **kwargs: Any):
        self.fn, self.args, self.kwargs = fn, args, kwargs

    def __call__(self, ctx: Context) -> Any:
        return self.fn(ctx, *self.args, **self.kwargs)

    @property
    def kpis(self) -> list[str]:
        """The KPI ids named in the view's arguments (a list of ids counts too)."""
        from ..core import KPIS

        found: list[str] = []
        for a in (*self.args, *self.kwargs.values()):
            for item in (a if isinstance(a, (list, tuple)) else [a]):
                if isinstance(item, str) and item in KPIS:
                    found.append(item)
        return found

    @property
    def segments(self) -> tuple[bool, bool]:
        """Whether a channel and a device filter apply to what the view shows.

        Social posts are not split by channel or device; ad spend is not split by device. A view
        that names no KPI (a distribution, the shipping-fee bands) follows both filters.
        """
        from ..core import KPIS

        kpis = self.kpis
        if self.fn.__name__ in _NO_FILTERS:
            return False, False
        if self.fn.__name__ in _FOLLOW_FILTERS or not kpis:
            return True, True
        return (any(KPIS[k].segmentable for k in kpis),
                any(KPIS[k].segmentable and KPIS[k].device_filter for k in kpis))


#: views that name a KPI but show what every filter narrows (the visits they count are sessions)
_FOLLOW_FILTERS = {"path_distribution", "shipping_bands", "new_vs_returning", "cohorts", "zero_result_queries",
                   "bounce_pages"}


#: views that show every channel whatever the filter (spend and CPA per paid channel, the period only)
_NO_FILTERS = {"acquisition"}


def view(fn: Callable, *args: Any, **kwargs: Any) -> View:
    """A view to re-render in :func:`explore`: ``nb.view(nb.breakdown, "conversion_rate", by="device")``."""
    return View(fn, *args, **kwargs)


def _applicable(views: tuple, client: Any) -> tuple[bool, bool]:
    """Which of the channel and device pickers apply to ``views`` for this client."""
    if not client.has("sessions"):  # a social-media-only client has no segments
        return False, False
    chan = dev = False
    for v in views:
        c, d = v.segments if isinstance(v, View) else (True, True)
        chan, dev = chan or c, dev or d
    return chan, dev


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

    Python's cyclic garbage collector is paused while ``fn`` runs and resumes
    :data:`GC_RESUME` seconds after: a full collection of a kernel with the kit loaded walks some
    400,000 objects (0.17-0.2 s), and the allocations of a re-render (Ibis expressions, a
    figure) set one off every few re-renders, in the middle of one. Paused, the collection
    comes just after the new output has been sent, while the analyst reads it. Nothing is left
    uncollected: the same collections run, a moment later.
    """

    def __init__(self, fn: Callable[[], None]):
        self.fn, self.loop, self.pending, self.resume = fn, _main_loop(), None, None

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
        if self.resume is not None:  # paused by the previous re-render: stays paused until after this one
            self.loop.remove_timeout(self.resume)
            self.resume, paused = None, True
        else:
            paused = gc.isenabled()  # an analyst who disabled the collector keeps it disabled
            if paused:
                gc.disable()
        try:
            self.fn()
        finally:
            if paused:  # once the output's message has left (the kernel's IOPub thread sends it)
                self.resume = self.loop.call_later(GC_RESUME, self._resume)

    def _resume(self) -> None:
        self.resume = None
        gc.enable()


#: Seconds after a re-render before the garbage collector resumes (see :class:`_Later`).
GC_RESUME = 0.1


#: Seconds to wait after a date changes before re-rendering: typing a date sends one value per keystroke.
DATE_SETTLE = 0.3


def _date_settle(old: Any, new: Any) -> float:
    """How long to wait before re-rendering after a date field went from ``old`` to ``new``.

    A browser's date field sends one value per keystroke. Typed digit by digit, the year comes in
    as 0002, 0020, 0202 (never rendered: :func:`_typing`), then 2025: the value that completes
    a year being typed, after which nothing more comes (the year is the field's last part in the
    French and English orders, dd/mm/yyyy and mm/dd/yyyy), renders at once. Any other change waits
    :data:`DATE_SETTLE` for the next keystroke: a day or a month typed over the old one goes
    through values that look complete (« 1 » then « 15 »; the month, then the day, then the year),
    and so do the arrow keys.
    """
    if old is not None and new is not None and _typing(old) and not _typing(new) \
            and (old.month, old.day) == (new.month, new.day):
        return 0.0
    return DATE_SETTLE


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
        note(_failed(ctx.language, exc))
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


def _typing(d: Any) -> bool:
    """A date still being typed: a browser's date field sends one value per keystroke, the year
    growing digit by digit (0002, 0020, 0202, 2026). A year under 1000 is no one's period."""
    return d is not None and d.year < 1000


def _preview(ctx: Context, chan: Any, dev: Any, html_value: str) -> str:
    """The static preview shown where widgets cannot run (a git host, a notebook not yet run)."""
    lang = ctx.language
    parts = [f"{_fmt_date(ctx.start, lang)} → {_fmt_date(ctx.end, lang)}"]
    if chan is not None:
        parts.append(f"{label('channel', lang)} : {channel_label(chan.value, lang) if chan.value else label('all', lang)}"
                     if lang == "fr" else f"{label('channel', lang)}: {channel_label(chan.value, lang) if chan.value else label('all', lang)}")
    if dev is not None:
        parts.append(f"{label('device', lang)} : {device_label(dev.value, lang) if dev.value else label('all', lang)}"
                     if lang == "fr" else f"{label('device', lang)}: {device_label(dev.value, lang) if dev.value else label('all', lang)}")
    intro = ("Aperçu figé de l'exploration (" + ", ".join(parts) + ") : exécutez le notebook pour changer la sélection."
             if lang == "fr" else "A still preview of Explore (" + ", ".join(parts) + "): run the notebook to change the selection.")
    return f'<div class="kpi-explore-preview"><p class="kpi-note"><i>{html.escape(intro)}</i></p>{html_value}</div>'


_BOX_CLASS: Any = None
_DATE_CLASS: Any = None


def _date_class() -> Any:
    """A DatePicker that takes any date a browser sends: a year a date field accepts but Python does
    not (10000 and more, typed as a fifth digit) becomes no date (one sentence), where ipywidgets'
    own deserializer would raise in the kernel's message handler (a traceback in the log)."""
    global _DATE_CLASS
    if _DATE_CLASS is None:
        import datetime as dt

        import ipywidgets as w
        from ipywidgets.widgets.trait_types import Date, date_to_json

        def lenient_date_from_json(js: Any, manager: Any) -> Any:
            if js is None:
                return None
            try:
                return dt.date(js["year"], js["month"] + 1, js["date"])
            except (ValueError, OverflowError, TypeError, KeyError):
                return None

        class DatePicker(w.DatePicker):  # same model and view as ipywidgets'
            value = Date(None, allow_none=True).tag(sync=True, from_json=lenient_date_from_json, to_json=date_to_json)

        _DATE_CLASS = DatePicker
    return _DATE_CLASS


def _box_class() -> Any:
    """A VBox that shows, beside its widget view, a static HTML preview and a one-line text (instead of
    the ``VBox(children=(HBox(...`` repr) for the places that cannot run widgets."""
    global _BOX_CLASS
    if _BOX_CLASS is None:
        import ipywidgets as w

        class ExploreBox(w.VBox):
            preview: Callable[[], str] | None = None
            text: str = "Explore"

            def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
                data = super()._repr_mimebundle_(**kwargs)
                if data is None:
                    return None
                data["text/plain"] = self.text
                if self.preview is not None:
                    data["text/html"] = self.preview()
                return data

        _BOX_CLASS = ExploreBox
    return _BOX_CLASS


def explore(ctx: Context, *views: Callable[[Context], Any], segments: bool = True):
    """Pickers for the period (and channel and device when they apply) that re-render ``views``.

    The views are re-rendered by the same helpers as the cells above, into one HTML widget (charts as
    PNG images): no ``Output`` widget. A headless run (papermill, nbval, the reports) has no front
    end; papermill's client then stands in for one and answers every output captured by an Output
    widget with a message on the kernel's shell socket, sent past the socket's event loop while
    that loop waits for the cell's reply: when the reply lands just before that send, its wake-up is
    lost and the run waits forever (``benchmarks/SOAK.md``). Re-renders run on the kernel's main
    thread (see :class:`_Later`), dates a moment after the last keystroke, or at once when that
    keystroke completes a typed year (:func:`_date_settle`).

    Only the pickers that apply are shown: none for a client without sessions, no channel or device
    for views of social posts (not split by them), no device for ad spend (``segments=False``
    leaves out both). A date still being typed (a year under 1000) is ignored; a period outside the
    client's data, or a start after the end, is one sentence; anything else that goes wrong is one
    sentence too, never a traceback.

    Returns the widget box. Where widgets cannot run (a git host, a notebook opened before it
    runs), its output shows a static preview of the first rendering. Its ``render_seconds``
    attribute holds the duration of the last re-render, for measurement; ``render()`` re-renders at once.
    """
    import ipywidgets as w

    lang = ctx.language
    first, last = (pd.Timestamp(d).date() if d is not None else None for d in ctx.client.date_range(through=ctx.client.today()))
    rows = []
    use_channel, use_device = _applicable(views, ctx.client) if segments else (False, False)
    all_text = label("all", lang)
    ch = dv = None
    if use_channel:
        channels = [(all_text, "")] + [(channel_label(c, lang), c) for c in _segment_values(ctx.client, "channel")]
        ch = w.Dropdown(options=channels, value=ctx.channel or "", description=label("channel", lang))
    if use_device:
        devices = [(all_text, "")] + [(device_label(d, lang), d) for d in _segment_values(ctx.client, "device")]
        dv = w.Dropdown(options=devices, value=ctx.device or "", description=label("device", lang))
    if ch is not None or dv is not None:
        rows.append(w.HBox([p for p in (ch, dv) if p is not None]))
    date_picker = _date_class()
    st = date_picker(value=ctx.start, description="Début" if lang == "fr" else "Start")
    en = date_picker(value=ctx.end, description="Fin" if lang == "fr" else "End")
    # no min/max on the pickers: ipywidgets would clamp a date being typed (0002-..., 0020-...) and send
    # the clamped value back into the field under the analyst's fingers; a date out of range is a sentence
    rows.append(w.HBox([st, en]))
    shown = w.HTML()
    box = _box_class()([*rows, shown])
    box.add_class("kpi-explore")  # for the browser tests and benchmarks/explore_latency.py
    box.render_seconds = None
    box.renders = 0
    shown_before: dict[tuple, str] = {}

    def render() -> None:
        t0 = time.perf_counter()
        if _typing(st.value) or _typing(en.value):
            return  # the analyst is still typing the year: keep what is shown
        try:
            problem = _choice_problem(ctx, st.value, en.value, first, last)
            if problem:
                value = f'<p class="kpi-note">{html.escape(problem)}</p>'
            else:
                sub = ctx.replace(channel=(ch.value or None) if ch else ctx.channel,
                                  device=(dv.value or None) if dv else ctx.device, start=st.value, end=en.value)
                key = (sub.channel, sub.device, sub.start, sub.end)
                if key not in shown_before:  # a choice seen before is shown again at once
                    if len(shown_before) >= 64:
                        shown_before.pop(next(iter(shown_before)))
                    shown_before[key] = render_html(sub, *views)
                value = shown_before[key]
        except Exception as exc:  # noqa: BLE001: a widget callback's error would be a traceback in the log
            value = f'<p class="kpi-note">{html.escape(_failed(lang, exc))}</p>'
        shown.value = value
        box.render_seconds = time.perf_counter() - t0
        box.renders += 1

    later = _Later(render)
    for picker in (ch, dv):
        if picker is not None:
            picker.observe(lambda _: later.request(), names="value")
    for picker in (st, en):
        picker.observe(lambda change: later.request(_date_settle(change["old"], change["new"])), names="value")
    render()
    first_html = shown.value
    box.preview = lambda: _preview(ctx, ch, dv, first_html)
    box.text = ("Exploration : choisissez un canal, un appareil ou une période (widgets : exécutez le notebook)."
                if lang == "fr" else "Explore: pick a channel, a device or a period (widgets: run the notebook).")
    box.render = render
    return box


def _failed(language: str, exc: BaseException) -> str:
    return (f"Cette vue n'a pas pu être affichée ({type(exc).__name__} : {exc})" if language == "fr" else
            f"This view could not be shown ({type(exc).__name__}: {exc})")
