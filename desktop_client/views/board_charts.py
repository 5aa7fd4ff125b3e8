"""Charts of the supervisor board (QtCharts): calls waiting over the day, answered / abandoned
per interval, and the service level through the day against the supervisor's thresholds."""

from __future__ import annotations

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from ..models.board import BoardModel
from .labels import t

Bars = tuple[str, QColor, list[tuple[str, float | None]]]  # name, colour, (label, value)
BLUE, GREEN, RED, AMBER = QColor("#388bfd"), QColor("#2ea043"), QColor("#f85149"), QColor("#d29922")


def _trim(points: list[tuple[str, float | None]], keep_from: int) -> list[tuple[str, float | None]]:
    return points[keep_from:]


def first_active(series: dict[str, list[tuple[str, float | None]]]) -> int:
    """Index of the interval before the first with any traffic (charts skip the quiet night)."""
    for i, (_, v) in enumerate(series["peak_waiting"]):
        answered = series["answered"][i][1] or 0
        abandoned = series["abandoned"][i][1] or 0
        if (v or 0) or answered or abandoned:
            return max(0, i - 1)
    return max(0, len(series["peak_waiting"]) - 4)


class BoardCharts:
    """Three chart views, rebuilt from the model's first queue on every update."""

    def __init__(self, model: BoardModel) -> None:
        self.model = model
        self.waiting = self._view()
        self.volume = self._view()
        self.service = self._view()

    @staticmethod
    def _view() -> QChartView:
        view = QChartView(QChart())
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.setMinimumHeight(170)
        return view

    def update(self) -> None:
        queues = self.model.queues
        if not queues:
            return
        q = queues[0]
        s = self.model.series(q)
        start = first_active(s)
        waiting = [(t("待ち呼"), BLUE, _trim(s["peak_waiting"], start))]
        self._bars(self.waiting, t("待ち呼数（区間最大）"), waiting,
                   self.model.definition("peak_waiting"))  # fmt: skip
        self._bars(self.volume, t("区間ごとの応答・放棄"),
                   [(t("応答"), GREEN, _trim(s["answered"], start)),
                    (t("放棄（短時間含む）"), RED, _trim(s["abandoned"], start))],
                   self.model.definition("answered"))  # fmt: skip
        self._service(_trim(s["service_level"], start))

    def _chart(self, view: QChartView, title: str, tip: str) -> QChart:
        chart = QChart()
        chart.setTitle(title)
        chart.setMargins(QMargins(2, 2, 2, 2))
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        view.setChart(chart)
        view.setToolTip(tip)
        return chart

    def _bars(self, view: QChartView, title: str, sets: list[Bars], tip: str) -> None:
        chart = self._chart(view, title, tip)
        series = QBarSeries()
        top = 1.0
        for name, colour, points in sets:
            bar = QBarSet(name)
            bar.setColor(colour)
            for _, v in points:
                bar.append(v or 0.0)
                top = max(top, v or 0.0)
            series.append(bar)
        chart.addSeries(series)
        self._axes(chart, series, [p[0] for p in sets[0][2]], top)

    def _service(self, points: list[tuple[str, float | None]]) -> None:
        th = self.model.thresholds
        chart = self._chart(self.service, t("サービスレベル（累計）"),
                            self.model.definition("service_level"))  # fmt: skip
        line = QLineSeries()
        line.setName(t("サービスレベル"))
        line.setPen(QPen(BLUE, 2.5))
        line.setPointsVisible(True)
        for i, (_, v) in enumerate(points):
            if v is not None:
                line.append(i + 0.5, v * 100)
        chart.addSeries(line)
        for value, colour, name in ((th.sl_warn, AMBER, t("注意")), (th.sl_bad, RED, t("警告"))):
            ref = QLineSeries()
            ref.setName(f"{name} {round(value * 100)}%")
            ref.setPen(QPen(colour, 1.2, Qt.PenStyle.DashLine))
            ref.append(0, value * 100)
            ref.append(max(1, len(points)), value * 100)
            chart.addSeries(ref)
        x = QValueAxis()
        x.setRange(0, max(1, len(points)))
        x.setLabelsVisible(False)
        y = QValueAxis()
        y.setRange(0, 100)
        y.setLabelFormat("%d%%")
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for s in chart.series():
            s.attachAxis(x)
            s.attachAxis(y)

    @staticmethod
    def _axes(chart: QChart, series: QBarSeries, labels: list[str], top: float) -> None:
        x = QBarCategoryAxis()
        step = max(1, len(labels) // 8)
        x.append([lb if i % step == 0 else " " * (i % 97 + 1) for i, lb in enumerate(labels)])
        y = QValueAxis()
        y.setRange(0, top * 1.15)
        y.setLabelFormat("%d")
        y.setTickCount(min(6, int(top) + 2))
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
