"""A small, deterministic OpenDocument spreadsheet writer.

Writes the zip by hand: ``mimetype`` first and stored uncompressed, then the XML parts
deflated, every entry dated 1980-01-01 with fixed permissions, and no timestamps in
the metadata, so the same sheets always give byte-identical files. No merged cells are
ever written. Cells are strings, integers, floats or :class:`Link` (a hyperlink to a
sheet). A sheet with a table header row keeps the rows down to it frozen (settings.xml),
so the header stays in view however far down a reader scrolls.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MAX_ROWS", "Link", "Sheet", "frozen_rows", "sheet_cell_texts", "sheet_cells", "write_ods"]

MAX_ROWS = 1_048_576  # LibreOffice's (and Excel's) row limit
COMPRESS_LEVEL = 3  # deflate level of content.xml: twice as fast as 6, files about a third larger

Cell = str | int | float | None


@dataclass(frozen=True)
class Link:
    """A cell holding a link to cell A1 of another sheet."""

    text: str
    sheet: str


@dataclass
class Sheet:
    """One worksheet: ``rows`` of cells (the first row holds the title), then ``data``:
    the rows of a table, written column by column (fast for large tables), with
    ``column_styles`` (``"int"``, ``"dec"`` or None) the default style of each column."""

    name: str
    rows: list[Sequence[Cell | Link]]
    widths: Sequence[float] = ()  # column widths in cm
    header_row: int | None = None  # 0-based row index of the table's header row
    wrap_columns: Sequence[int] = ()
    table_name: str | None = None  # a named database range over the table (header and data)
    n_columns: int = field(default=0)
    data: Sequence[Sequence[Cell]] = ()
    column_styles: Sequence[str | None] = ()
    frozen: int | None = None  # rows kept in view when scrolling (None: down to the header row, if any)

    @property
    def n_rows(self) -> int:
        return len(self.rows) + len(self.data)

    @property
    def frozen_rows(self) -> int:
        if self.frozen is not None:
            return self.frozen
        return self.header_row + 1 if self.header_row is not None else 0


_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"'
)
_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_DATE = (1980, 1, 1, 0, 0, 0)
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _esc(s: str) -> str:
    s = _XML_BAD.sub("", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _text(s: str) -> str:
    """Escaped paragraph text keeping every space (ODF collapses runs of spaces and drops
    leading ones unless written as ``<text:s/>``)."""
    e = _esc(s)
    if "  " not in e and not e.startswith(" ") and not e.endswith(" ") and "\n" not in e and "\t" not in e:
        return e
    out: list[str] = []
    prev_space = True  # a leading space must be written as text:s
    for i, ch in enumerate(e):
        if ch == " ":
            last = i == len(e) - 1
            out.append("<text:s/>" if prev_space or last else " ")
            prev_space = True
        elif ch == "\t":
            out.append("<text:tab/>")
            prev_space = False
        elif ch == "\n":
            out.append("<text:line-break/>")
            prev_space = True
        else:
            out.append(ch)
            prev_space = False
    return "".join(out)


def _num(v: int | float) -> str:
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, int):
        return str(v)
    return repr(round(float(v), 10))


def _display(v: int | float) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return f"{float(v):,.1f}"


_STYLES = """<office:automatic-styles>
<number:number-style style:name="N0"><number:number number:decimal-places="0" number:min-decimal-places="0" number:min-integer-digits="1" number:grouping="true"/></number:number-style>
<number:number-style style:name="N1"><number:number number:decimal-places="1" number:min-decimal-places="1" number:min-integer-digits="1" number:grouping="true"/></number:number-style>
<style:style style:name="title" style:family="table-cell" style:parent-style-name="Default"><style:text-properties fo:font-size="14pt" fo:font-weight="bold"/></style:style>
<style:style style:name="head" style:family="table-cell" style:parent-style-name="Default"><style:table-cell-properties fo:wrap-option="wrap" style:vertical-align="bottom"/><style:text-properties fo:font-weight="bold"/></style:style>
<style:style style:name="wrap" style:family="table-cell" style:parent-style-name="Default"><style:table-cell-properties fo:wrap-option="wrap" style:vertical-align="top"/></style:style>
<style:style style:name="int" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N0"><style:paragraph-properties fo:text-align="end"/></style:style>
<style:style style:name="dec" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N1"><style:paragraph-properties fo:text-align="end"/></style:style>
<style:style style:name="short" style:family="table-cell" style:parent-style-name="Default"><style:paragraph-properties fo:text-align="end"/></style:style>
{columns}
</office:automatic-styles>"""


def _cell(v: Cell | Link, style: str | None, cache: dict[str, str]) -> str:
    if v is None or v == "":
        return "<table:table-cell/>"
    if isinstance(v, Link):
        href = _esc(f"#{v.sheet}.A1")
        return (
            '<table:table-cell office:value-type="string"><text:p>'
            f'<text:a xlink:type="simple" xlink:href="{href}">{_text(v.text)}</text:a></text:p></table:table-cell>'
        )
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        st = "int" if isinstance(v, int) else "dec"
        return (
            f'<table:table-cell table:style-name="{st}" office:value-type="float" office:value="{_num(v)}">'
            f"<text:p>{_display(v)}</text:p></table:table-cell>"
        )
    s = str(v)
    key = f"{style}\x00{s}"
    hit = cache.get(key)
    if hit is not None:
        return hit
    if style is None and len(s) == 3 and s.startswith("[") and s.endswith("]"):
        style = "short"  # shorthand such as [c] sits right-aligned with the numbers
    attr = f' table:style-name="{style}"' if style else ""
    out = f'<table:table-cell{attr} office:value-type="string"><text:p>{_text(s)}</text:p></table:table-cell>'
    if len(cache) < 200_000:
        cache[key] = out
    return out


def _data_cell(v: Cell) -> str:
    """A data cell; numbers take their style from the column."""
    if v is None or v == "":
        return "<table:table-cell/>"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f'<table:table-cell office:value-type="float" office:value="{_num(v)}"/>'
    return f'<table:table-cell office:value-type="string"><text:p>{_text(str(v))}</text:p></table:table-cell>'


def _data_xml(data: Sequence[Sequence[Cell]]) -> str:
    """The rows of a table, built a column at a time from each column's distinct values."""
    if not data:
        return ""
    columns = list(zip(*data, strict=True))
    cell_columns: list[list[str]] = []
    for col in columns:
        distinct = set(col)
        kinds = {type(v) for v in distinct}
        if int in kinds and float in kinds:  # 1 and 1.0 are one set member: format one by one
            cell_columns.append([_data_cell(v) for v in col])
            continue
        xml = {v: _data_cell(v) for v in distinct}
        cell_columns.append(list(map(xml.__getitem__, col)))
    return "".join(
        ["<table:table-row>" + "".join(cells) + "</table:table-row>" for cells in zip(*cell_columns, strict=True)]
    )


def _col_letter(n: int) -> str:
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _content(sheets: Sequence[Sheet]) -> Iterator[str]:
    """content.xml, in pieces (a sheet's table data is one piece)."""
    widths = sorted({round(w, 2) for s in sheets for w in s.widths} | {2.5})
    wname = {w: f"co{i}" for i, w in enumerate(widths)}
    col_styles = "\n".join(
        f'<style:style style:name="{wname[w]}" style:family="table-column">'
        f'<style:table-column-properties style:column-width="{w:.2f}cm"/></style:style>'
        for w in widths
    )
    parts: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<office:document-content {_NS} office:version="1.3">',
        _STYLES.format(columns=col_styles),
        "<office:body><office:spreadsheet>",
    ]
    cache: dict[str, str] = {}
    ranges: list[str] = []
    for sheet in sheets:
        n_cols = max(
            [sheet.n_columns, len(sheet.widths), len(sheet.column_styles)] + [len(r) for r in sheet.rows] + [1]
        )
        parts.append(f'<table:table table:name="{_esc(sheet.name)}">')
        for c in range(n_cols):
            w = round(sheet.widths[c], 2) if c < len(sheet.widths) else 2.5
            default = sheet.column_styles[c] if c < len(sheet.column_styles) else None
            cell_style = f' table:default-cell-style-name="{default}"' if default else ""
            parts.append(f'<table:table-column table:style-name="{wname[w]}"{cell_style}/>')
        wrap = set(sheet.wrap_columns)
        for i, row in enumerate(sheet.rows):
            parts.append("<table:table-row>")
            if i == 0:
                parts.extend(_cell(v, "title", cache) for v in row)
            elif i == sheet.header_row:
                parts.extend(_cell(v, "head", cache) for v in row)
            elif wrap:
                parts.extend(_cell(v, "wrap" if c in wrap else None, cache) for c, v in enumerate(row))
            else:
                parts.extend(_cell(v, None, cache) for v in row)
            parts.append("</table:table-row>")
        yield "".join(parts)
        parts = []
        yield _data_xml(sheet.data)
        parts.append("</table:table>")
        if sheet.table_name and sheet.header_row is not None and len(sheet.rows) > sheet.header_row:
            last_row = sheet.n_rows
            last_col = _col_letter(len(sheet.rows[sheet.header_row]) - 1)
            name = _esc(sheet.name)
            addr = f"{name}.A{sheet.header_row + 1}:{name}.{last_col}{last_row}"
            ranges.append(
                f'<table:database-range table:name="{_esc(sheet.table_name)}" '
                f'table:target-range-address="{addr}" table:contains-header="true"/>'
            )
    if ranges:
        parts.append("<table:database-ranges>" + "".join(ranges) + "</table:database-ranges>")
    parts.append("</office:spreadsheet></office:body></office:document-content>")
    yield "".join(parts)


def _styles() -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<office:document-styles {_NS} office:version="1.3">'
        '<office:font-face-decls><style:font-face style:name="Arial" svg:font-family="Arial" '
        'style:font-family-generic="swiss"/></office:font-face-decls>'
        "<office:styles>"
        '<style:default-style style:family="table-cell"><style:text-properties style:font-name="Arial" '
        'fo:font-size="10pt" fo:language="en" fo:country="GB"/></style:default-style>'
        '<style:style style:name="Default" style:family="table-cell"/>'
        "</office:styles></office:document-styles>"
    ).encode()


def _meta(title: str, subject: str, keywords: Sequence[str]) -> bytes:
    kw = "".join(f"<meta:keyword>{_esc(k)}</meta:keyword>" for k in keywords)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<office:document-meta {_NS} office:version="1.3"><office:meta>'
        "<meta:generator>Open NRM statistics</meta:generator>"
        f"<dc:title>{_esc(title)}</dc:title><dc:subject>{_esc(subject)}</dc:subject>{kw}"
        "<dc:language>en-GB</dc:language>"
        "</office:meta></office:document-meta>"
    ).encode()


_CONFIG_NS = 'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"'


def _item(name: str, kind: str, value: str | int) -> str:
    return f'<config:config-item config:name="{name}" config:type="{kind}">{value}</config:config-item>'


def _settings(sheets: Sequence[Sheet]) -> bytes:
    """settings.xml: the first sheet open, and each sheet's rows down to its header frozen."""
    tables: list[str] = []
    for s in sheets:
        n = s.frozen_rows
        if not n:
            continue
        tables.append(
            f'<config:config-item-map-entry config:name="{_esc(s.name)}">'
            + _item("HorizontalSplitMode", "short", 0)
            + _item("VerticalSplitMode", "short", 2)
            + _item("HorizontalSplitPosition", "int", 0)
            + _item("VerticalSplitPosition", "int", n)
            + _item("ActiveSplitRange", "short", 2)
            + _item("PositionLeft", "int", 0)
            + _item("PositionRight", "int", 0)
            + _item("PositionTop", "int", 0)
            + _item("PositionBottom", "int", n)
            + "</config:config-item-map-entry>"
        )
    active = _esc(sheets[0].name) if sheets else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<office:document-settings {_NS} {_CONFIG_NS} office:version="1.3"><office:settings>'
        '<config:config-item-set config:name="ooo:view-settings">'
        '<config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>'
        + _item("ViewId", "string", "view1")
        + '<config:config-item-map-named config:name="Tables">'
        + "".join(tables)
        + "</config:config-item-map-named>"
        + _item("ActiveTable", "string", active)
        + "</config:config-item-map-entry></config:config-item-map-indexed>"
        "</config:config-item-set></office:settings></office:document-settings>"
    ).encode()


_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
    f'<manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="{_MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="settings.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
).encode()


def _entry(name: str, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


def write_ods(
    path: str | os.PathLike[str],
    sheets: Sequence[Sheet],
    *,
    title: str = "",
    subject: str = "",
    keywords: Sequence[str] = (),
) -> Path:
    """Write ``sheets`` to an .ods file at ``path``, deterministically."""
    names = [s.name for s in sheets]
    if len(set(names)) != len(names):
        raise ValueError("sheet names must be unique")
    for s in sheets:
        if s.n_rows > MAX_ROWS:
            raise ValueError(f"sheet {s.name} has {s.n_rows} rows, more than {MAX_ROWS}")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as z:
        z.writestr(_entry("mimetype", False), _MIMETYPE.encode("ascii"))
        info = _entry("content.xml", True)
        if hasattr(info, "compress_level"):  # Python 3.13
            info.compress_level = COMPRESS_LEVEL
        else:
            info._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]
        big = sum(s.n_rows for s in sheets) > 1_000_000  # over 2 GiB of XML is possible
        with z.open(info, mode="w", force_zip64=big) as fh:
            for piece in _content(sheets):
                fh.write(piece.encode("utf-8"))
        z.writestr(_entry("styles.xml", True), _styles(), compresslevel=6)
        z.writestr(_entry("meta.xml", True), _meta(title, subject, keywords), compresslevel=6)
        z.writestr(_entry("settings.xml", True), _settings(sheets), compresslevel=6)
        z.writestr(_entry("META-INF/manifest.xml", True), _MANIFEST, compresslevel=6)
    os.replace(tmp, p)
    return p


def _para_text(el: ET.Element, x_ns: str, buf: list[str]) -> None:
    if el.text:
        buf.append(el.text)
    for child in el:
        if child.tag == f"{x_ns}s":
            buf.append(" " * int(child.get(f"{x_ns}c", "1")))
        elif child.tag == f"{x_ns}line-break":
            buf.append("\n")
        elif child.tag == f"{x_ns}tab":
            buf.append("\t")
        else:
            _para_text(child, x_ns, buf)
        if child.tail:
            buf.append(child.tail)


def sheet_cell_texts(path: str | os.PathLike[str]) -> dict[str, list[list[str]]]:
    """Read an .ods file this module wrote back: each sheet's rows of cell texts (a
    number without display text reads as its ``office:value``), for checks and tests."""
    t_ns = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    x_ns = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    o_ns = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("content.xml"))  # noqa: S314 - our own output
    out: dict[str, list[list[str]]] = {}
    for tbl in root.iter(f"{t_ns}table"):
        rows: list[list[str]] = []
        for row in tbl.iter(f"{t_ns}table-row"):
            cells: list[str] = []
            for cell in row:
                if cell.tag not in (f"{t_ns}table-cell", f"{t_ns}covered-table-cell"):
                    continue
                texts: list[str] = []
                for para in cell.iter(f"{x_ns}p"):
                    buf: list[str] = []
                    _para_text(para, x_ns, buf)
                    texts.append("".join(buf))
                value = cell.get(f"{o_ns}value")
                text = "\n".join(texts) if texts or value is None else value
                repeat = int(cell.get(f"{t_ns}number-columns-repeated", "1"))
                cells.extend([text] * repeat)
            rows.append(cells)
        out[tbl.get(f"{t_ns}name", "")] = rows
    return out


def sheet_cells(path: str | os.PathLike[str]) -> dict[str, list[list[tuple[str, str]]]]:
    """Each sheet's rows of ``(value type, text)`` cells (type ``float`` for a number, ``string``
    for text, ``""`` for an empty cell; a number's text is its ``office:value``), for checks and tests."""
    t_ns = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    x_ns = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    o_ns = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("content.xml"))  # noqa: S314 - our own output
    out: dict[str, list[list[tuple[str, str]]]] = {}
    for tbl in root.iter(f"{t_ns}table"):
        rows: list[list[tuple[str, str]]] = []
        for row in tbl.iter(f"{t_ns}table-row"):
            cells: list[tuple[str, str]] = []
            for cell in row:
                if cell.tag not in (f"{t_ns}table-cell", f"{t_ns}covered-table-cell"):
                    continue
                kind = cell.get(f"{o_ns}value-type", "")
                value = cell.get(f"{o_ns}value")
                if value is None:
                    texts: list[str] = []
                    for para in cell.iter(f"{x_ns}p"):
                        buf: list[str] = []
                        _para_text(para, x_ns, buf)
                        texts.append("".join(buf))
                    value = "\n".join(texts)
                repeat = int(cell.get(f"{t_ns}number-columns-repeated", "1"))
                cells.extend([(kind, value)] * repeat)
            rows.append(cells)
        out[tbl.get(f"{t_ns}name", "")] = rows
    return out


def frozen_rows(path: str | os.PathLike[str]) -> dict[str, int]:
    """The number of rows frozen at the top of each sheet (sheets with none left out), from settings.xml."""
    c_ns = "{urn:oasis:names:tc:opendocument:xmlns:config:1.0}"
    with zipfile.ZipFile(path) as z:
        if "settings.xml" not in z.namelist():
            return {}
        root = ET.fromstring(z.read("settings.xml"))  # noqa: S314 - our own output
    out: dict[str, int] = {}
    for named in root.iter(f"{c_ns}config-item-map-named"):
        if named.get(f"{c_ns}name") != "Tables":
            continue
        for entry in named.findall(f"{c_ns}config-item-map-entry"):
            items = {i.get(f"{c_ns}name"): i.text or "" for i in entry.findall(f"{c_ns}config-item")}
            if items.get("VerticalSplitMode") == "2":
                out[entry.get(f"{c_ns}name", "")] = int(items.get("VerticalSplitPosition", "0"))
    return out
