"""Shared by the widget-logic tests (tests/test_widgets*.py): the dashboards, the figure-mode fixtures,
and small readers of artists. Each test module declares its two fixtures
with the bodies below (restore_figure_state, choose_mode)."""

import base64
import html

import matplotlib
import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("ipympl")

import ipywidgets  # noqa: E402

from softmax_lab import widgets as W  # noqa: E402

DASHBOARDS = {
    "logit_explorer": W.logit_explorer,
    "temperature_explorer": W.temperature_explorer,
    "sigmoid_vs_softmax": W.sigmoid_vs_softmax,
    "gradient_stepper": W.gradient_stepper,
    "stability_explorer": W.stability_explorer,
    "sampler_dashboard": W.sampler_dashboard,
}


def restore_figure_state(monkeypatch):
    """Body of each module's autouse fixture: every test starts with no chosen mode and no env
    override, and gets the backend back."""
    monkeypatch.delenv(W._base.ENV_VAR, raising=False)
    monkeypatch.setattr(W._base, "_chosen_mode", None)
    backend = matplotlib.get_backend()
    yield
    matplotlib.use(backend)


FIGURE_MODES = ["png", "canvas"]


def choose_mode(request):
    """Body of each module's ``mode`` fixture: run the test in both figure modes, chosen the way
    a notebook does (setup_figures)."""
    assert W.setup_figures(request.param) == request.param
    return request.param


def heights(group):
    return np.array([bar.get_height() for bar in group.bars])


def texts(group):
    return [t.get_text() for t in group.texts]


def png_outputs(dash):
    """The PNG (bytes) shown in the dashboard's Output widget, in "png" mode."""
    out = dash.figure_view
    assert isinstance(out, ipywidgets.Output)
    (item,) = out.outputs
    return base64.b64decode(item["data"]["image/png"])


def message_text(dash):
    return html.unescape(dash.message.value)
