"""The BENCH line `bench/run` ends with (issue 13): written with every target, read back the same."""

from __future__ import annotations

import pytest

from bench.figures import KEYS, bench_line, parse_bench_line


def test_the_line_carries_every_target_in_order_and_reads_back() -> None:
    figures = {key: float(n) + 0.5 for n, key in enumerate(KEYS)}
    line = bench_line(figures)
    assert line.startswith('BENCH {"bare_rps":0.5,"checkin_rps":1.5,')
    assert parse_bench_line(line) == figures


def test_a_figure_not_measured_is_null() -> None:
    line = bench_line({"bare_rps": 7000.0, "burst_drain_s": float("nan")})
    figures = parse_bench_line(line)
    assert figures["bare_rps"] == 7000.0
    assert figures["burst_drain_s"] is None
    assert figures["max_rss_mb"] is None


@pytest.mark.parametrize(
    "line",
    [
        'BENCH {"bare_rps":1}',
        "bench " + bench_line({})[6:],
        bench_line({}).replace('"max_rss_mb":null', '"max_rss_mb":"big"'),
    ],
)
def test_a_malformed_line_is_refused(line: str) -> None:
    with pytest.raises(ValueError, match=r"BENCH|number"):
        parse_bench_line(line)


def test_an_unknown_figure_is_refused() -> None:
    with pytest.raises(ValueError, match="not a BENCH figure"):
        bench_line({"checkin_rsp": 1.0})
