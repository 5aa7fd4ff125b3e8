"""Charts of the supervisor board (QtCharts): calls waiting over the day, answered / abandoned
per interval, and the service level through the day against the supervisor's thresholds.

Compact on purpose (three charts share the right column): small title and axis fonts, legends on
the right, an x axis labelled on the full hours only (a bar-category axis would elide every label
to the width of one 15-minute bar)."""

from __future__ import annotations

import math

from PySide6.QtCharts import (
    QAbstractAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from ..i18n import translate
from ..models.board import BoardModel

Points = list[tuple[str, float | None]]  # (interval label "HH:MM", value)
Bars = tuple[str, QColor, Points]  # name, colour, points
BLUE, GREEN, RED, AMBER = QColor("#388bfd"), QColor("#2ea043"), QColor("#f85149"), QColor("#d29922")


def first_active(series: dict[str, Points]) -> int:
    """Index of the interval before the first with any traffic (charts skip the quiet night)."""
    for i, (_, v) in enumerate(series["peak_waiting"]):
        answered = series["answered"][i][1] or 0
        abandoned = series["abandoned"][i][1] or 0
        if (v or 0) or answered or abandoned:
            return max(0, i - 1)
    return max(0, len(series["peak_waiting"]) - 4)


def _font(base: QFont, delta: float, bold: bool = False) -> QFont:
    font = QFont(base)
    font.setPointSizeF(max(7.0, base.pointSizeF() + delta))
    font.setBold(bold)
    return font


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
        view.setMinimumHeight(80)
        return view

    def update(self) -> None:
        queues = self.model.queues
        if not queues:
            return
        s = self.model.series(queues[0])
        start = first_active(s)
        self._bars(self.waiting, translate("BoardCharts", "待ち呼数（区間最大）"),
                   [(translate("BoardCharts", "待ち呼"), BLUE, s["peak_waiting"][start:])],
                   self.model.definition("peak_waiting"))  # fmt: skip
        self._bars(self.volume, translate("BoardCharts", "区間ごとの応答・放棄"),
                   [(translate("BoardCharts", "応答"), GREEN, s["answered"][start:]),
                    (translate("BoardCharts", "放棄（短時間含む）"), RED, s["abandoned"][start:])],
                   self.model.definition("answered"))  # fmt: skip
        self._service(s["service_level"][start:])
        self._align_legends()

    def _align_legends(self) -> None:
        """One legend width for the three charts, so their plot areas line up."""
        views = (self.waiting, self.volume, self.service)
        legends = [v.chart().legend() for v in views]
        fm = QFontMetrics(legends[0].font())
        names = [m.label() for lg in legends for m in lg.markers()]
        width = max((fm.horizontalAdvance(n) for n in names), default=0) + 4 * fm.height()
        for lg in legends:
            lg.setMinimumWidth(width)
            lg.setMaximumWidth(width)

    def _chart(self, view: QChartView, title: str, tip: str) -> QChart:
        """Legends on the right on every chart, so the three plot areas line up (nearly)."""
        chart = QChart()
        base = view.font()
        chart.setTitle(title)
        chart.setTitleFont(_font(base, -1, bold=True))
        chart.setMargins(QMargins(4, 0, 4, 0))
        chart.setBackgroundRoundness(0)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
        chart.legend().setFont(_font(base, -2))
        view.setChart(chart)
        view.setToolTip(tip)
        return chart

    def _bars(self, view: QChartView, title: str, sets: list[Bars], tip: str) -> None:
        chart = self._chart(view, title, tip)
        series = QBarSeries()
        series.setBarWidth(0.8)
        top = 1.0
        for name, colour, points in sets:
            bar = QBarSet(name)
            bar.setColor(colour)
            bar.setBorderColor(colour)
            for _, v in points:
                bar.append(v or 0.0)
                top = max(top, v or 0.0)
            series.append(bar)
        chart.addSeries(series)
        y = QValueAxis()
        upper = max(2, math.ceil(top))
        y.setRange(0, upper + upper % 2)  # even: the middle tick is a whole number
        y.setLabelFormat("%d")
        y.setTickCount(3)
        self._attach(chart, [series], self._hours([p[0] for p in sets[0][2]], -0.5), y)

    def _service(self, points: Points) -> None:
        th = self.model.thresholds
        chart = self._chart(self.service, translate("BoardCharts", "サービスレベル（累計）"),
                            self.model.definition("service_level"))  # fmt: skip
        line = QLineSeries()
        line.setName(translate("BoardCharts", "サービスレベル"))
        line.setPen(QPen(BLUE, 2.5))
        line.setPointsVisible(True)
        for i, (_, v) in enumerate(points):
            if v is not None:
                line.append(i, v * 100)
        series = [line]
        end = max(1, len(points) - 1)
        for value, colour, name in (
            (th.sl_warn, AMBER, translate("BoardCharts", "注意")),
            (th.sl_bad, RED, translate("BoardCharts", "警告")),
        ):
            ref = QLineSeries()
            ref.setName(f"{name} {round(value * 100)}%")
            ref.setPen(QPen(colour, 1.2, Qt.PenStyle.DashLine))
            ref.append(-0.5, value * 100)
            ref.append(end + 0.5, value * 100)
            series.append(ref)
        for s in series:
            chart.addSeries(s)
        y = QValueAxis()
        y.setRange(0, 100)
        y.setLabelFormat("%d%%")
        y.setTickCount(3)
        self._attach(chart, series, self._hours([p[0] for p in points], -0.5), y)

    @staticmethod
    def _hours(labels: list[str], start: float) -> QCategoryAxis:
        """An x axis over interval indexes, labelled at each full hour ("9:00" at 09:00)."""
        x = QCategoryAxis()
        x.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        x.setRange(start, start + max(1, len(labels)))
        hours = [i for i, lb in enumerate(labels) if lb.endswith(":00")]
        step = max(1, len(hours) // 7)  # at most about seven labels
        for n, i in enumerate(hours):
            if n % step == 0:
                x.append(f"{int(labels[i][:2])}:00", i + start)
        return x

    @staticmethod
    def _attach(chart: QChart, series: list[QLineSeries] | list[QBarSeries],
                x: QAbstractAxis, y: QValueAxis) -> None:  # fmt: skip
        small = _font(chart.titleFont(), -1)
        small.setBold(False)
        for axis in (x, y):
            axis.setLabelsFont(small)
            axis.setGridLineVisible(axis is y)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for s in series:
            s.attachAxis(x)
            s.attachAxis(y)
