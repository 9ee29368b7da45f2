"""The Grafana dashboard (deploy/grafana/): well-formed, wired to the provisioned Prometheus data
source, and querying only metrics (and labels) that a worker's registry exports.

Every check is a function that returns the problems it finds, run on the real files and on
broken copies, so that each one is shown to fail."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from service.edits import edits_by_kind
from service.metrics import EDIT_KINDS, Metrics

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "qingliu.json"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
PROVIDERS = GRAFANA / "provisioning" / "dashboards" / "qingliu.yml"
WORKER_APP = REPO / "service" / "worker" / "app.py"

PANEL_TYPES = {"row", "timeseries", "stat", "gauge", "bargauge", "table", "text", "barchart",
               "piechart", "heatmap", "state-timeline", "histogram"}
TARGET_LABELS = {"instance", "job"}  # added by Prometheus to every scraped series
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                   "or", "unless", "offset", "inf", "nan"}
SERIES_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
                   "summary": ("_sum", "_count")}


# --- what the worker exports -------------------------------------------------------------------

def exported_families() -> dict[str, tuple[str, frozenset[str]]]:
    """Metric family → (type, label names), from the exposition text of a worker's registry."""
    metrics = Metrics()
    # Registered by the worker at start-up (service/worker/app.py); rows so labels show.
    metrics.watch_lag(lambda: [("posts.raw", 0, 3)])
    metrics.watch_stalls(lambda: [("posts.raw", 1, 42, 75.0)])
    # Labelled families show their label names only once a child exists.
    metrics.published.labels(topic="posts.clean", kind="clean").inc()
    metrics.rules_invalid.labels(reason="unknown_kind").inc()
    text = generate_latest(metrics.registry).decode("utf-8")
    return {family.name: (family.type,
                          frozenset(k for s in family.samples for k in s.labels) - {"le"})
            for family in text_string_to_metric_families(text)}


def family_of(series: str, families: dict[str, tuple[str, frozenset[str]]]) -> str | None:
    """The exported family a queried series name belongs to, as the exposition names series:
    a gauge by its own name, a counter with ``_total``, a histogram's ``_bucket``/``_sum``/
    ``_count`` (never its bare name); None if the worker exports no such series."""
    if families.get(series, ("",))[0] in ("gauge", "unknown", "untyped"):
        return series
    for kind, suffixes in SERIES_SUFFIXES.items():
        for suffix in suffixes:
            base = series.removesuffix(suffix)
            if base != series and families.get(base, ("",))[0] == kind:
                return base
    return None


# --- PromQL ------------------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_MATCHERS = re.compile(r"\{([^}]*)\}")
_IDENT = re.compile(r"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*")
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:([A-Za-z_:][\w:]*)\s*(\{[^}]*\})?\s*,)?"
                           r"\s*(\w+)\s*\)\s*$")


def promql_metrics(expr: str) -> set[str]:
    """The series names an expression selects (functions, keywords, labels, ranges left out)."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = _GROUPING.sub(" ", text)
    text = re.sub(r"\$\{[^}]*\}|\$\w+", " ", text)
    names = set()
    for match in _IDENT.finditer(text):
        rest = text[match.end():].lstrip()
        if match.group() in PROMQL_KEYWORDS or rest.startswith("("):
            continue  # a function or aggregation, or a keyword
        names.add(match.group())
    return names


def promql_labels(expr: str) -> set[str]:
    """Label names an expression groups by or matches on."""
    text = _STRING.sub('""', expr)
    labels: set[str] = set()
    for group in _GROUPING.findall(text):
        labels.update(name.strip() for name in group.split(",") if name.strip())
    for matchers in _MATCHERS.findall(text):
        labels.update(re.findall(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)", matchers))
    return labels


def variable_query(query: object) -> tuple[set[str], set[str]]:
    """(series, labels) of a templating variable's query (``label_values(...)`` or PromQL)."""
    text = query.get("query", "") if isinstance(query, dict) else str(query or "")
    found = _LABEL_VALUES.match(text)
    if found:
        metric, matchers, label = found.groups()
        return ({metric} if metric else set()), {label, *promql_labels(matchers or "")}
    return promql_metrics(text), promql_labels(text)


# --- the checks ----------------------------------------------------------------------------------

def walk_panels(panels: Iterable[dict]) -> Iterable[dict]:
    for panel in panels:
        yield panel
        yield from walk_panels(panel.get("panels") or ())  # a collapsed row holds its panels


def provisioned_uid() -> str:
    (source,) = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    return source["uid"]


def structure_problems(dashboard: dict, uid: str) -> list[str]:
    """Schema-ish checks: ids, types, grid, data source, a PromQL expr in every target."""
    problems = []
    for key in ("uid", "title", "schemaVersion", "panels"):
        if not dashboard.get(key):
            problems.append(f"dashboard has no {key}")
    panels = list(walk_panels(dashboard.get("panels") or ()))
    ids = [panel.get("id") for panel in panels]
    if len(ids) != len(set(ids)) or not all(isinstance(i, int) for i in ids):
        problems.append(f"panel ids must be unique integers: {ids}")
    cells: dict[tuple[int, int], str] = {}
    for panel in panels:
        name = f"panel {panel.get('id')} {panel.get('title')!r}"
        if panel.get("type") not in PANEL_TYPES:
            problems.append(f"{name}: unknown type {panel.get('type')!r}")
        grid = panel.get("gridPos") or {}
        if not all(isinstance(grid.get(k), int) for k in "xywh"):
            problems.append(f"{name}: gridPos needs integer x, y, w, h")
            continue
        if grid["x"] < 0 or grid["x"] + grid["w"] > 24 or grid["w"] <= 0 or grid["h"] <= 0:
            problems.append(f"{name}: gridPos outside the 24 columns")
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                if (x, y) in cells:
                    problems.append(f"{name} overlaps {cells[x, y]}")
                    break
                cells[x, y] = name
            else:
                continue
            break
        if panel.get("type") in ("row", "text"):
            continue
        if (panel.get("datasource") or {}).get("uid") != uid:
            problems.append(f"{name}: data source uid is not the provisioned {uid!r}")
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{name}: no targets")
        refs = [target.get("refId") for target in targets]
        if len(refs) != len(set(refs)):
            problems.append(f"{name}: duplicate refIds {refs}")
        for target in targets:
            if not str(target.get("expr") or "").strip():
                problems.append(f"{name}: target {target.get('refId')} has no expr")
            if (target.get("datasource") or {"uid": uid}).get("uid") != uid:
                problems.append(f"{name}: target {target.get('refId')} uses another data source")
    for variable in (dashboard.get("templating") or {}).get("list", []):
        if variable.get("type") == "query" and (variable.get("datasource") or {}).get("uid") != uid:
            problems.append(f"variable {variable.get('name')}: data source uid is not {uid!r}")
    return problems


def query_problems(dashboard: dict, families: dict[str, tuple[str, frozenset[str]]]
                   ) -> list[str]:
    """Every series a panel or variable queries, and every label it uses, is exported."""
    queries: list[tuple[str, set[str], set[str]]] = []
    for panel in walk_panels(dashboard.get("panels") or ()):
        for target in panel.get("targets") or ():
            expr = str(target.get("expr") or "")
            legend = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", str(target.get("legendFormat") or "")))
            queries.append((f"panel {panel.get('title')!r}: {expr}", promql_metrics(expr),
                            promql_labels(expr) | legend))
    for variable in (dashboard.get("templating") or {}).get("list", []):
        if variable.get("type") == "query":
            series, labels = variable_query(variable.get("query"))
            queries.append((f"variable {variable.get('name')}", series, labels))
    problems = []
    for where, series, labels in queries:
        if not series:
            problems.append(f"{where}: selects no metric")
        known = set(TARGET_LABELS)
        for name in series:
            family = family_of(name, families)
            if family is None:
                problems.append(f"{where}: the worker exports no series {name!r}")
                continue
            known |= families[family][1]
            if name.endswith("_bucket"):
                known.add("le")
        if labels - known:
            problems.append(f"{where}: labels {sorted(labels - known)} not on {sorted(series)}")
    return problems


def coverage_problems(dashboard: dict) -> list[str]:
    """What the dashboard must show (issue: throughput, lag, latency, outcomes, rules, health)."""
    exprs = [str(t.get("expr") or "") for p in walk_panels(dashboard.get("panels") or ())
             for t in p.get("targets") or ()]
    queried = set().union(*map(promql_metrics, exprs)) if exprs else set()
    problems = [f"no panel queries {name}" for name in (
        "qingliu_consumed_total", "qingliu_published_total", "qingliu_consumer_lag",
        "qingliu_dead_lettered_total", "qingliu_edits_by_kind_total", "qingliu_corrupted_total",
        "qingliu_rules_version_info", "qingliu_stalled_partitions",
        "qingliu_publish_errors_total") if name not in queried]
    for quantile in ("0.5", "0.99"):
        if not any(re.search(rf"histogram_quantile\(\s*{quantile}\s*,.*"
                             r"qingliu_end_to_end_seconds_bucket", e) for e in exprs):
            problems.append(f"no end-to-end latency quantile {quantile}")
    for metric, label in (("qingliu_dead_lettered_total", "code"),
                          ("qingliu_edits_by_kind_total", "kind")):
        if not any(metric in e and label in promql_labels(e) for e in exprs):
            problems.append(f"{metric} is never shown by {label}")
    return problems


# --- tests -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def families() -> dict[str, tuple[str, frozenset[str]]]:
    return exported_families()


def test_the_worker_registers_the_collectors_the_dashboard_reads() -> None:
    source = WORKER_APP.read_text(encoding="utf-8")
    assert "metrics.watch_lag(" in source and "metrics.watch_stalls(" in source


def test_exported_families_are_read_from_the_exposition(families) -> None:
    assert families["qingliu_consumed"][0] == "counter"
    assert families["qingliu_end_to_end_seconds"][0] == "histogram"
    assert families["qingliu_consumer_lag_total"][0] == "gauge"  # a gauge named *_total
    assert families["qingliu_published"][1] == {"topic", "kind"}
    assert families["qingliu_edits_by_kind"][1] == {"kind"}


def test_family_of_follows_the_exposition_names(families) -> None:
    assert family_of("qingliu_consumed_total", families) == "qingliu_consumed"
    assert family_of("qingliu_end_to_end_seconds_bucket", families) == "qingliu_end_to_end_seconds"
    assert family_of("qingliu_end_to_end_seconds_count", families) == "qingliu_end_to_end_seconds"
    assert family_of("qingliu_consumer_lag_total", families) == "qingliu_consumer_lag_total"
    assert family_of("qingliu_consumed", families) is None  # a counter without _total
    assert family_of("qingliu_end_to_end_seconds", families) is None  # a histogram's bare name
    assert family_of("qingliu_rules_total", families) is None  # a gauge with a counter suffix
    assert family_of("qingliu_nothing_total", families) is None


def test_promql_metrics_leaves_out_functions_labels_and_keywords() -> None:
    expr = ('histogram_quantile(0.99, sum by (le, code) (rate(a_bucket{code!~"x|y", '
            'instance=~"$instance"}[$__rate_interval] offset 5m))) / on(instance) group_left '
            'count without (job) (b_total > bool 1e3) or vector(0) and c')
    assert promql_metrics(expr) == {"a_bucket", "b_total", "c"}
    assert promql_labels(expr) == {"le", "code", "instance", "job"}
    assert variable_query({"query": "label_values(m_total{k=\"v\"}, instance)"}) \
        == ({"m_total"}, {"instance", "k"})


def test_dashboard_is_well_formed(dashboard) -> None:
    assert structure_problems(dashboard, provisioned_uid()) == []


def test_dashboard_queries_only_exported_metrics(dashboard, families) -> None:
    assert query_problems(dashboard, families) == []


def test_dashboard_shows_what_operators_need(dashboard) -> None:
    assert coverage_problems(dashboard) == []


def _first_target(dashboard: dict) -> dict:
    panel = next(p for p in dashboard["panels"] if p.get("targets"))
    return panel["targets"][0]


def _break_metric(d):
    _first_target(d)["expr"] = 'sum(rate(qingliu_no_such_thing_total[5m]))'


def _break_histogram(d):
    _first_target(d)["expr"] = "histogram_quantile(0.5, rate(qingliu_end_to_end_seconds[5m]))"


def _break_counter(d):
    _first_target(d)["expr"] = "rate(qingliu_consumed[5m])"


def _break_label(d):
    _first_target(d)["expr"] = "sum by (cod) (rate(qingliu_dead_lettered_total[5m]))"


def _break_legend(d):
    _first_target(d).update(expr="sum(rate(qingliu_consumed_total[5m]))", legendFormat="{{kind}}")


def _break_variable(d):
    d["templating"]["list"][0]["query"]["query"] = "label_values(qingliu_gone_total, instance)"


@pytest.mark.parametrize("mutate", [_break_metric, _break_histogram, _break_counter, _break_label,
                                    _break_legend, _break_variable])
def test_a_query_of_something_not_exported_is_caught(dashboard, families, mutate) -> None:
    broken = copy.deepcopy(dashboard)
    mutate(broken)
    assert query_problems(broken, families)


def _dup_id(d):
    d["panels"][2]["id"] = d["panels"][1]["id"]


def _other_source(d):
    next(p for p in d["panels"] if p.get("targets"))["datasource"]["uid"] = "elsewhere"


def _no_expr(d):
    _first_target(d)["expr"] = "  "


def _overlap(d):
    d["panels"][2]["gridPos"] = dict(d["panels"][1]["gridPos"])


def _wide(d):
    d["panels"][1]["gridPos"]["w"] = 30


@pytest.mark.parametrize("mutate", [_dup_id, _other_source, _no_expr, _overlap, _wide])
def test_a_malformed_dashboard_is_caught(dashboard, mutate) -> None:
    broken = copy.deepcopy(dashboard)
    mutate(broken)
    assert structure_problems(broken, provisioned_uid())


def test_a_dashboard_without_latency_or_edits_by_kind_is_caught(dashboard) -> None:
    broken = copy.deepcopy(dashboard)
    for panel in walk_panels(broken["panels"]):
        panel["targets"] = [t for t in panel.get("targets") or ()
                            if "end_to_end" not in t["expr"] and "by_kind" not in t["expr"]]
    problems = coverage_problems(broken)
    assert "no end-to-end latency quantile 0.99" in problems
    assert "no panel queries qingliu_edits_by_kind_total" in problems


def test_provisioning_matches_compose_and_the_dashboard() -> None:
    (source,) = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    assert source["type"] == "prometheus" and source["access"] == "proxy"
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    prometheus = compose["services"]["prometheus"]
    assert source["url"] == "http://prometheus:9090"
    assert any(p.endswith(":9090") for p in prometheus.get("ports", []))
    (provider,) = yaml.safe_load(PROVIDERS.read_text())["providers"]
    assert provider["type"] == "file"
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in compose["services"]["grafana"]["volumes"])
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    environment = compose["services"]["grafana"]["environment"]
    home = environment.get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    assert home is None or home == f"{provider['options']['path']}/{DASHBOARD.name}"


# --- the per-kind edit count the "Edits by kind" panel reads ------------------------------------

def test_edits_by_kind_counts_an_events_edits() -> None:
    event = {"edits": [{"kind": "spun"}, {"kind": "fullwidth+homoglyph"}, {"kind": "spun"}]}
    assert edits_by_kind(event) == {"spun": 2, "fullwidth": 1, "homoglyph": 1}
    merged = {"edits": [{"kind": "fullwidth"}], "edits_merged": {"count": 7,
                                                                "by_kind": {"fullwidth": 7}}}
    assert edits_by_kind(merged) == {"fullwidth": 7}  # counted before merging
    assert edits_by_kind({"edits": []}) == {}


def test_count_edits_reaches_the_exposition() -> None:
    metrics = Metrics()
    for kind in EDIT_KINDS:  # every kind is exported at 0 before its first edit
        assert metrics.registry.get_sample_value("qingliu_edits_by_kind_total",
                                                 {"kind": kind}) == 0
    metrics.count_edits({"spun": 2, "radical": 0})
    metrics.count_edits([("spun", 1), ("homoglyph", 4)])
    assert metrics.value("qingliu_edits_by_kind_total", {"kind": "spun"}) == 3
    assert metrics.value("qingliu_edits_by_kind_total", {"kind": "homoglyph"}) == 4
    assert metrics.value("qingliu_edits_by_kind_total", {"kind": "radical"}) == 0
    assert b'qingliu_edits_by_kind_total{kind="spun"} 3.0' in metrics.render()


def test_a_pipeline_outcome_is_counted_by_kind() -> None:
    from service.pipeline import process_message

    outcome = process_message('{"id": "1", "text": "ｆｕｌｌ　ｗｉｄｔｈ 今天天气很好"}'.encode())
    assert outcome.kind == "clean" and outcome.edits >= 2
    counts = edits_by_kind(outcome.value)
    assert counts.get("fullwidth", 0) >= 2
    assert sum(n for kind, n in counts.items()) >= outcome.edits
