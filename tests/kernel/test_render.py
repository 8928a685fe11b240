"""Objects as the model gets them and as people see them: DataFrames, figures, images, reprs."""

from __future__ import annotations

import base64
import io
import random
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from matplotlib.figure import Figure
from PIL import Image as PILImage

from rig_nb import Budget, ToolOutput
from rig_nb.core import ToolDisplay
from rig_nb.core._tools import serialize_output
from rig_nb.errors import UserError
from rig_nb.kernel import render, tool_output


def png_size(data: str) -> tuple[int, int]:
    with PILImage.open(io.BytesIO(base64.b64decode(data))) as image:
        assert image.format == "PNG"
        return image.size


def weather() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "city": ["Paris", "Rome", None, "Oslo", "Lima", "Kyiv", "Quito"],
            "temp_c": [21.0, 25.5, np.nan, 8.0, 19.0, 12.0, 14.5],
            "day": pd.date_range("2024-01-01", periods=7),
        }
    )


def test_a_pandas_frame_is_shape_schema_missing_values_and_head() -> None:
    rendition = render(weather())
    assert rendition is not None and rendition.kind == "pandas DataFrame"
    lines = rendition.text.splitlines()
    assert lines[0] == "pandas DataFrame: 7 rows x 3 columns"
    assert lines[1] == "columns:"
    assert lines[2].split() == ["city", str(weather()["city"].dtype), "(1", "missing)"]
    assert lines[3].split() == ["temp_c", "float64", "(1", "missing)"]
    assert lines[4].split()[0] == "day" and lines[4].split()[1].startswith("datetime64")
    assert lines[5] == "first 5 rows:"
    assert len(lines) == 6 + 6  # the header line of the head, then 5 rows
    assert "Lima" in lines[-1] and "Kyiv" not in rendition.text  # only the head
    assert rendition.pictures == ()
    html = rendition.html or ""
    assert html.count("<tr") == 6 and "Lima" in html and "Kyiv" not in html


def test_rows_columns_and_a_named_index_follow_the_budget() -> None:
    frame = pd.DataFrame(np.arange(30 * 40).reshape(30, 40)).set_index(0)
    frame.index.name = "id"
    text = render(frame, Budget(rows=2, columns=3, chars=5000)).text  # type: ignore[union-attr]
    assert "30 rows x 39 columns" in text
    assert "index 'id': RangeIndex (int64)" in text  # not the default 0, 1, 2...
    frame.index = pd.Index([f"r{i}" for i in range(30)])
    assert "index: Index (" in render(frame).text  # type: ignore[union-attr]
    assert "index" not in render(pd.DataFrame({"a": [1]})).text  # type: ignore[union-attr]
    assert "… and 36 more columns" in text
    assert "first 2 rows:" in text


def test_no_description_passes_its_character_budget() -> None:
    """A failure class: frames of random shapes and widths, budgets from small to large."""
    rng = random.Random(3)
    for _ in range(40):
        rows, cols = rng.randint(0, 60), rng.randint(1, 60)
        width = rng.randint(1, 300)
        frame = pd.DataFrame(
            {f"c{i}" * rng.randint(1, 9): ["x" * width] * rows for i in range(cols)}
        )
        chars = rng.randint(200, 3000)
        text = render(frame, Budget(chars=chars)).text  # type: ignore[union-attr]
        assert len(text) <= chars + 40, (rows, cols, width, chars)
        if len(text) > chars:
            assert text.endswith("more characters cut]")
        assert text.startswith(f"pandas DataFrame: {rows:,} row")


def test_series_and_empty_frames() -> None:
    series = weather()["temp_c"]
    text = render(series).text  # type: ignore[union-attr]
    assert text.startswith("pandas Series 'temp_c': 7 values, dtype float64 (1 missing)")
    assert "first 5:" in text
    empty = render(pd.DataFrame({"a": []})).text  # type: ignore[union-attr]
    assert empty.startswith("pandas DataFrame: 0 rows x 1 column\n")
    assert "first" not in empty


def test_polars_frames_series_and_lazy_frames() -> None:
    frame = pl.DataFrame({"city": ["Paris", "Rome", None], "temp_c": [21.0, None, 8.0]})
    rendition = render(frame)
    assert rendition is not None and rendition.kind == "polars DataFrame"
    assert rendition.text.splitlines()[:4] == [
        "polars DataFrame: 3 rows x 2 columns",
        "columns:",
        "  city    String  (1 missing)",
        "  temp_c  Float64  (1 missing)",
    ]
    assert "Paris" in rendition.text and "<table" in (rendition.html or "")
    assert render(frame["city"]).text.startswith(
        "polars Series 'city': 3 values, dtype String (1 missing)"
    )  # type: ignore[union-attr]

    def boom(value: int) -> int:
        raise AssertionError("describing a LazyFrame must not collect it")

    lazy = frame.lazy().with_columns(n=pl.col("temp_c").map_elements(boom, return_dtype=pl.Int64))
    text = render(lazy).text  # type: ignore[union-attr]
    assert text.startswith("polars LazyFrame (not collected: rows unknown) with 3 columns")
    assert "  n       Int64" in text


def test_a_figure_is_a_png_no_larger_than_the_budget_with_a_caption() -> None:
    figure = Figure(figsize=(8, 6), dpi=100)
    ax = figure.add_subplot()
    ax.plot([1, 2, 3])
    ax.set_title("Sales")
    ax.set_xlabel("month")
    rendition = render(figure)
    assert rendition is not None and rendition.kind == "matplotlib Figure"
    assert rendition.text == "matplotlib Figure, 800x600 px, 1 Axes: 'Sales' (x: month)"
    assert png_size(rendition.pictures[0].data) == (800, 600)
    small = render(ax, Budget(image_side=400))  # an Axes is its figure
    assert small is not None and small.kind == "matplotlib Axes"
    assert png_size(small.pictures[0].data) == (400, 300)
    assert "400x300 px" in small.text


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "1", "CMYK", "I;16", "F", "LA", "YCbCr"])
def test_pil_images_of_every_mode_become_pngs(mode: str) -> None:
    image = PILImage.new(mode, (30, 20))
    rendition = render(image)
    assert rendition is not None and rendition.kind == "PIL image"
    assert png_size(rendition.pictures[0].data) == (30, 20)
    assert rendition.text == f"PIL image, 30x20 {mode}"


def test_large_images_and_image_bytes_are_scaled_down() -> None:
    image = PILImage.new("RGB", (3000, 1500), "red")
    rendition = render(image, Budget(image_side=500))
    assert rendition is not None
    assert png_size(rendition.pictures[0].data) == (500, 250)
    assert rendition.text == "PIL image, 3000x1500 RGB, sent as 500x250"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    from_bytes = render(buffer.getvalue(), Budget(image_side=600))
    assert from_bytes is not None and from_bytes.kind == "image bytes"
    assert png_size(from_bytes.pictures[0].data) == (600, 300)
    assert render(b"just bytes") is None


class Styled:
    """An object with IPython's display methods, nothing else."""

    def _repr_html_(self) -> str:
        return "<b>bold</b>"


class Bundle:
    def __init__(self, png: str) -> None:
        self.png = png

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        data = {"text/plain": "Bundle(3 points)", "image/png": self.png, "text/html": "<i>3</i>"}
        return data, {"image/png": {"width": 10}}

    def __repr__(self) -> str:
        return "Bundle(repr)"


class Anything:
    """Answers every attribute (a proxy, a mock): IPython does not trust its display methods."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: "<b>x</b>"


class Nothing:
    def _repr_html_(self) -> None:
        return None


def small_png() -> str:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 3)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_display_methods_give_text_images_and_html() -> None:
    png = small_png()
    bundle = render(Bundle(png))
    assert bundle is not None
    assert bundle.text == "Bundle(3 points)"  # the bundle's own text/plain
    assert png_size(bundle.pictures[0].data) == (4, 3)
    assert bundle.html == "<i>3</i>"
    styled = render(Styled())
    assert styled is not None and styled.text == "<b>bold</b>" and styled.html == "<b>bold</b>"
    assert render(Anything()) is None
    assert render(Styled) is None  # a class, not an instance
    assert render(Nothing()) is None
    assert render(Styled(), reprs=False) is None


def test_tool_output_html_is_the_display_unless_it_is_huge() -> None:
    out = tool_output(weather())
    assert isinstance(out, ToolOutput) and out.images == ()
    assert out.text.startswith("pandas DataFrame: 7 rows x 3 columns")
    assert out.display is not None and out.display.mime == "text/html"

    class Huge:
        def _repr_html_(self) -> str:
            return "<p>" + "x" * 300_000 + "</p>"

    huge = tool_output(Huge())
    assert huge is not None and huge.display is None
    assert len(huge.text) < 4100  # the model gets the budgeted HTML source


def test_the_registered_converter_serializes_rich_returns() -> None:
    out = serialize_output(weather())
    assert isinstance(out, ToolOutput)
    assert isinstance(out.display, ToolDisplay)
    assert isinstance(serialize_output(PILImage.new("RGB", (2, 2))), ToolOutput)
    assert serialize_output(np.arange(3)) == "[0 1 2]"  # not rich: as before


def test_budget_values_are_checked() -> None:
    for bad in (dict(chars=10), dict(rows=0), dict(columns=-1), dict(image_side=True)):
        with pytest.raises(UserError, match="Budget"):
            Budget(**bad)  # type: ignore[arg-type]
    assert Budget.of(300) == Budget(chars=300)


def test_clip_keeps_what_it_says_and_says_what_it_cut() -> None:
    """A failure class: random texts and limits, for each way of cutting."""
    from rig_nb.kernel._budget import clip

    rng = random.Random(5)
    for _ in range(500):
        text = "".join(rng.choice("ab\n") for _ in range(rng.randint(0, 3000)))
        limit = rng.randint(1, 2500)
        for keep in ("head", "tail", "ends"):
            out = clip(text, limit, keep=keep)  # type: ignore[arg-type]
            if len(text) <= limit:
                assert out == text
                continue
            note = f"[… {len(text) - limit:,} more characters cut]"
            assert note in out and len(out) == limit + len(note) + (2 if keep == "ends" else 1)
            if keep == "head":
                assert out.startswith(text[:limit])
            elif keep == "tail":
                assert out.endswith(text[-limit:])
            else:
                assert out.startswith(text[: limit // 3]) and out.endswith(
                    text[-(limit - limit // 3) :]
                )
