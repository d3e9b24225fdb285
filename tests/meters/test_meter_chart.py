"""The meter chart told apart without colour, its period labels apart, a long reading
history folded below the latest readings."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

from iok_saas.modules.meters import services
from iok_saas.modules.meters.chart import LABEL_WIDTH, Bar, bar_chart, label_indexes

from ..factories import make_meter
from .conftest import text

SVG = "{http://www.w3.org/2000/svg}"


def charts(page: str) -> dict[str, ET.Element]:
    """Every meter chart on the page by its id."""
    found = {}
    for chunk in re.findall(r'<svg xmlns="http://www.w3.org/2000/svg".*?</svg>', page, re.S):
        svg = ET.fromstring(chunk)  # noqa: S314 (our own page)
        found[svg.get("id")] = svg
    return found


def history(months: int):
    today = services.today()
    return [(today - timedelta(days=30 * (months - i)), f"{100 + 2.5 * i:.3f}")
            for i in range(months)]


def test_hot_and_cold_water_differ_by_pattern_and_legend_not_colour_alone(resident_client):
    client, res = resident_client("gdynia")
    hot = make_meter("gdynia", res.unit_id, history(4), kind="hot_water")
    cold = make_meter("gdynia", res.unit_id, history(4), kind="cold_water")
    found = charts(client.get("/konto/wodomierze/").get_data(as_text=True))
    hot_svg, cold_svg = found[f"meter-chart-{hot}"], found[f"meter-chart-{cold}"]

    legend = hot_svg.find(f".//{SVG}g[@class='iok-chart-legend']/{SVG}text").text
    assert legend == "Ciepła woda: zużycie między odczytami"
    assert cold_svg.find(f".//{SVG}g[@class='iok-chart-legend']/{SVG}text").text == \
        "Zimna woda: zużycie między odczytami"
    # Hot water: striped bars with an outline, the swatch in the legend the same.
    assert "iok-chart-hatched" in hot_svg.get("class")
    stripes = hot_svg.find(f".//{SVG}pattern")
    assert stripes is not None and stripes.get("patternTransform") == "rotate(45)"
    hot_bars = hot_svg.findall(f".//{SVG}rect[@class='iok-chart-bar']")
    assert len(hot_bars) == 3
    assert {bar.get("fill") for bar in hot_bars} == {f"url(#{stripes.get('id')})"}
    assert all(bar.get("stroke") for bar in hot_bars)
    assert hot_svg.find(f".//{SVG}path[@class='iok-chart-swatch']").get("fill") == \
        f"url(#{stripes.get('id')})"
    # Cold water: solid bars, no stripes, no outline (brand colour from iok.css).
    assert "iok-chart-solid" in cold_svg.get("class")
    assert cold_svg.find(f".//{SVG}pattern") is None
    cold_bars = cold_svg.findall(f".//{SVG}rect[@class='iok-chart-bar']")
    assert cold_bars and not any(bar.get("fill", "").startswith("url(") for bar in cold_bars)
    assert not any(bar.get("stroke") for bar in cold_bars)


def label_positions(svg: ET.Element) -> list[float]:
    plot_bottom = max(float(line.get("y2")) for line in svg.iter(f"{SVG}line"))
    return [float(t.get("x")) for t in svg.iter(f"{SVG}text")
            if float(t.get("y")) > plot_bottom + 10]


def test_period_labels_never_overlap_however_many_periods():
    for count in range(1, 61):
        bars = [Bar(f"{i % 12 + 1:02d}.{2020 + i // 12}", Decimal(i % 7 + 1), "t")
                for i in range(count)]
        svg = ET.fromstring(str(bar_chart(  # noqa: S314 (our own output)
            bars, chart_id="c", title="t", description="d", axis_label="m³")))
        xs = label_positions(svg)
        assert xs, count
        assert all(b - a >= LABEL_WIDTH for a, b in pairwise(xs)), (count, xs)
        # The first and the latest period are always named (labels sit under their bar).
        centres = [float(r.get("x")) + float(r.get("width")) / 2
                   for r in svg.iter(f"{SVG}rect")]
        assert abs(xs[0] - centres[0]) < 0.2 and abs(xs[-1] - centres[-1]) < 0.2, count
    assert label_indexes(12, 7) == [0, 2, 4, 6, 8, 11]
    assert label_indexes(3, 7) == [0, 1, 2]


def test_a_long_history_shows_the_latest_readings_and_folds_the_rest(resident_client):
    client, res = resident_client("gdynia")
    meter = make_meter("gdynia", res.unit_id, history(15))
    page = client.get("/konto/wodomierze/").get_data(as_text=True)
    latest = re.search(rf'<table[^>]*id="history-{meter}">(.*?)</table>', page, re.S).group(1)
    assert latest.count('<th scope="row">') == 6
    newest = history(15)[-1][0].strftime("%d.%m.%Y")
    assert newest in latest
    folded = re.search(rf'<details[^>]*id="older-{meter}">(.*?)</details>', page, re.S)
    assert folded, "no folded older readings"
    assert "Pokaż wszystkie odczyty (starsze: 9)" in folded.group(1)
    assert folded.group(1).count('<th scope="row">') == 9
    oldest = history(15)[0][0].strftime("%d.%m.%Y")
    assert oldest in folded.group(1) and oldest not in latest

    short = make_meter("gdynia", res.unit_id, history(3))
    page = client.get("/konto/wodomierze/")
    assert f'id="older-{short}"' not in page.get_data(as_text=True)
    assert "Brak odczytów" not in text(page)
