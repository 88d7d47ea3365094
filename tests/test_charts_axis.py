"""The value axis of every chart is labelled in whole steps when its top is whole (counts are whole)."""

from __future__ import annotations

import re

import pytest

from pipeline.render.charts import Line, Series, bar_chart, line_chart

AXIS = re.compile(r'text-anchor="end">([^<]+)</text>')


@pytest.mark.parametrize(("highest", "labels"), [
    (48, ["0", "10", "20", "30", "40", "50"]),  # quarters of 50 would read 12.5 and 37.5
    (35, ["0", "10", "20", "30", "40", "50"]),
    (97, ["0", "25", "50", "75", "100"]),
    (7, ["0", "2", "4", "6", "8", "10"]),  # quarters of 10 would read 2.5 and 7.5
    (2, ["0", "1", "2"]),
    (1, ["0", "1"]),
    (0, ["0", "1"]),
    (0.4, ["0", "0.1", "0.2", "0.3", "0.4", "0.5"]),
])
def test_bar_and_line_charts_label_their_axis_in_whole_steps(highest, labels):
    bars = bar_chart("t", ["a", "b"], [Series("提出", [highest, 0], "bar-a")], chart_id="x")
    line = line_chart("t", ["a", "b"], [Line("提出", [highest, 0], "line-a")], chart_id="y")
    assert AXIS.findall(bars) == labels
    assert AXIS.findall(line) == labels
