"""`user_message` and attachments: text, DataFrame descriptions, image parts, PDFs, text files."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image as PILImage

from rig_nb import Budget, DocumentContent, Image, Text, user_message
from rig_nb.core import Base64, String, rag_text
from rig_nb.errors import UserError
from rig_nb.kernel import attachment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes(size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def test_text_then_images_then_documents_with_a_line_for_each(tmp_path: Path) -> None:
    (tmp_path / "notes.pdf").write_bytes(PDF)
    figure = Figure(figsize=(2, 1), dpi=100)
    figure.add_subplot().plot([1, 2])
    frame = pd.DataFrame({"a": [1, 2]})
    message = user_message(
        "Compare:", frame, figure, PILImage.new("RGB", (5, 5)), attach=[tmp_path / "notes.pdf"]
    )
    kinds = [type(part).__name__ for part in message.content]
    assert kinds == ["Text", "Image", "Image", "DocumentContent"]
    text = rag_text(message) or ""
    lines = text.splitlines()
    assert lines[0] == "Compare:"
    assert lines[1] == "pandas DataFrame: 2 rows x 1 column"
    assert "[image 1: matplotlib Figure, 200x100 px, 1 Axes]" in lines
    assert "[image 2: PIL image, 5x5 RGB]" in lines
    assert lines[-1] == f"[attached: notes.pdf (PDF document, {len(PDF)} bytes)]"
    document = message.content[3]
    assert isinstance(document, DocumentContent) and document.media_type == "pdf"
    assert isinstance(document.data, Base64)
    assert base64.b64decode(document.data.value) == PDF


def test_parts_as_they_are_and_plain_objects_as_text() -> None:
    image = Image(data=Base64(value="AAAA"), media_type="png")
    message = user_message(Text(text="hi"), 42, {"k": 1}, image)
    assert message.content == [Text(text="hi\n42\n{'k': 1}"), image]
    assert user_message(image).content == [image]  # no empty text part (Anthropic refuses one)
    with pytest.raises(UserError, match="needs some text"):
        user_message()


def test_images_attach_as_images_scaled_to_the_budget(tmp_path: Path) -> None:
    (tmp_path / "small.png").write_bytes(png_bytes())
    (tmp_path / "big.png").write_bytes(png_bytes((2000, 1000)))
    small = attachment(tmp_path / "small.png")
    assert isinstance(small.part, Image) and small.part.media_type == "png"
    assert small.caption == "[attached: small.png (image, 8x6)]"
    assert isinstance(small.part.data, Base64)
    assert base64.b64decode(small.part.data.value) == png_bytes()  # small: sent as it is
    big = attachment(tmp_path / "big.png", Budget(image_side=500))
    assert big.caption == "[attached: big.png (image, 2000x1000, sent as 500x250)]"
    assert isinstance(big.part, Image) and isinstance(big.part.data, Base64)
    with PILImage.open(io.BytesIO(base64.b64decode(big.part.data.value))) as sent:
        assert sent.size == (500, 250)


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("data.csv", "csv"),
        ("notes.md", "markdown"),
        ("x.py", "python"),
        ("log", "txt"),
        ("d.svg", "xml"),
    ],
)
def test_text_files_attach_as_text_documents(tmp_path: Path, name: str, media_type: str) -> None:
    (tmp_path / name).write_text("city,temp\nParis,21 é\n", encoding="utf-8")
    found = attachment(tmp_path / name)
    assert isinstance(found.part, DocumentContent) and found.part.media_type == media_type
    assert found.part.data == String(value=f"<file name: {name}>\ncity,temp\nParis,21 é\n\n</file>")
    assert found.caption == f"[attached: {name} (text, 21 characters)]"


def test_long_text_is_cut_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("x" * 5000)
    found = attachment(tmp_path / "big.txt", Budget(attachment_chars=1000))
    assert found.caption == "[attached: big.txt (text, 5,000 characters, cut to 1,000 characters)]"
    assert isinstance(found.part, DocumentContent) and isinstance(found.part.data, String)
    assert "[… 4,000 more characters cut]" in found.part.data.value


def test_what_cannot_be_attached_says_why(tmp_path: Path) -> None:
    (tmp_path / "archive.zip").write_bytes(b"PK\x03\x04\x00\xff\xfe binary")
    (tmp_path / "folder").mkdir()
    cases = {
        tmp_path / "missing.png": "cannot attach '.*missing.png': no such file",
        tmp_path / "folder": "not a file",
        tmp_path
        / "archive.zip": "neither an image \\(PNG, JPEG, GIF, WebP\\), a PDF nor UTF-8 text",
    }
    for path, message in cases.items():
        with pytest.raises(UserError, match=message):
            attachment(path)


def test_a_huge_file_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rig_nb.kernel import _attach

    (tmp_path / "huge.log").write_text("x" * 2000)
    monkeypatch.setattr(_attach, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a file too large"))
    with pytest.raises(UserError, match=r"cannot attach huge.log: 2.0 kB is too large to send"):
        attachment(tmp_path / "huge.log")
