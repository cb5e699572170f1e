#!/usr/bin/python3
"""
alert_series.py: a promtool rule test from series a real Prometheus recorded.

  alert_series.py PROM_URL START END RULES [REPLAY_S]

Reads portscope_ephemeral_max_used_ratio and portscope_conflicts_total from
PROM_URL (query_range, 1 s steps from START to END, Unix seconds), replays
each recorded second as REPLAY_S seconds (default 10: the rules' `for:` and
windows are minutes long; a test run is not), works out which alerts of
RULES must be firing at each evaluation — by its own reading of PromQL's
rules (instant selection with a 5 m lookback, `for:`, increase, offset,
predict_linear as Prometheus computes them), not by asking Prometheus —
and prints the promtool test (YAML) on stdout.
"""
import json
import sys
import urllib.parse
import urllib.request

import yaml

LOOKBACK = 300.0
NAMES = ["portscope_ephemeral_max_used_ratio", "portscope_conflicts_total"]


def query(url, expr, start, end):
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": "1s"})
    with urllib.request.urlopen(f"{url}/api/v1/query_range?{q}", timeout=10) as r:
        return json.load(r)["data"]["result"]


def recorded(url, start, end):
    """[(labels, [value or None per second])]"""
    n = int(end) - int(start) + 1
    out = []
    for name in NAMES:
        for s in query(url, name, start, end):
            vals = [None] * n
            for t, v in s["values"]:
                vals[int(round(float(t))) - int(start)] = float(v)
            out.append((s["metric"], vals))
    return out


class Series:
    def __init__(self, labels, vals, step):
        self.labels, self.step = labels, step
        self.samples = [(i * step, v) for i, v in enumerate(vals) if v is not None]

    def at(self, t):
        """instant selection: the latest sample at or before t, within the lookback"""
        best = None
        for ts, v in self.samples:
            if t - LOOKBACK < ts <= t:
                best = v
        return best

    def window(self, t, rng):
        return [(ts, v) for ts, v in self.samples if t - rng <= ts <= t]


def increase_positive(s, t, rng):
    w = s.window(t, rng)
    if len(w) < 2:
        return False
    rise, prev = 0.0, w[0][1]
    for _, v in w[1:]:
        rise += v - prev if v >= prev else v	# a reset counts from zero
        prev = v
    return rise > 0


def predict_linear(s, t, rng, ahead):
    w = s.window(t, rng)
    if len(w) < 2:
        return None
    n = len(w)
    xs = [ts - t for ts, _ in w]
    ys = [v for _, v in w]
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    var = sum((x - mx) ** 2 for x in xs)
    slope = cov / var if var else 0.0
    return my - slope * mx + slope * ahead


def plain(labels):
    return {k: v for k, v in labels.items() if k != "__name__"}


def active(rule, series, t):
    """label sets (without __name__) for which the rule's expression holds at t"""
    name = rule["alert"]
    ratio = [s for s in series if s.labels["__name__"] == NAMES[0]]
    conf = [s for s in series if s.labels["__name__"] == NAMES[1]]
    out = []
    if name == "PortscopeEphemeralPortsHigh":
        out = [plain(s.labels) for s in ratio if (s.at(t) or -1) >= 0.8]
    elif name == "PortscopeEphemeralPortsExhausted":
        out = [plain(s.labels) for s in ratio if (s.at(t) or -1) >= 1]
    elif name == "PortscopeEphemeralPortsExhaustionPredicted":
        for s in ratio:
            p = predict_linear(s, t, 300, 900)
            if (s.at(t) or -1) > 0.5 and p is not None and p >= 1:
                out.append(plain(s.labels))
    else:
        connect = name == "PortscopeConnectEADDRNOTAVAIL"
        rng = 300 if connect else 600
        for s in conf:
            lb = s.labels
            if connect != (lb["call"] == "connect" and lb["errno"] == "EADDRNOTAVAIL"):
                continue
            if not connect and not (lb["call"] in ("bind", "listen") and lb["errno"] in ("EADDRINUSE", "EACCES")):
                continue
            new = s.at(t) is not None and s.at(t - rng) is None
            if new or increase_positive(s, t, rng):
                out.append(plain(lb))
    return out


def duration(s):
    return {"s": 1, "m": 60, "h": 3600}[s[-1]] * float(s[:-1]) if s else 0


def render(text, labels):
    for k, v in labels.items():
        text = text.replace("{{ $labels.%s }}" % k, v)
    return text


def expected(rule, series, times):
    """{eval time: [alerts]}: `for:` counted from the first evaluation the
    expression held, at every evaluation (the test's evaluation_interval)"""
    since, out = {}, {}
    for t in times:
        now = {tuple(sorted(l.items())): l for l in active(rule, series, t)}
        since = {k: since.get(k, t) for k in now}
        firing = [now[k] for k in now if t - since[k] >= duration(rule.get("for", "0s"))]
        out[t] = [{"exp_labels": dict(l, **rule.get("labels", {})),
                   "exp_annotations": {a: render(v, l) for a, v in rule.get("annotations", {}).items()}}
                  for l in sorted(firing, key=lambda l: sorted(l.items()))]
    return out


def values(vals):
    return " ".join("_" if v is None else ("%g" % v) for v in vals)


def main():
    url, start, end, rules_file = sys.argv[1:5]
    step = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    rec = recorded(url, start, end)
    if not rec:
        sys.exit("alert_series: Prometheus has no portscope series in that window")
    series = [Series(l, v, step) for l, v in rec]
    n = len(rec[0][1])
    times = [i * step for i in range(n)]
    rules = [r for g in yaml.safe_load(open(rules_file))["groups"] for r in g["rules"]]
    tests = []
    for r in rules:
        exp = expected(r, series, times)
        for t in times:
            tests.append({"eval_time": "%ds" % t, "alertname": r["alert"], "exp_alerts": exp[t]})
    fired = {r["alert"]: sum(1 for x in tests if x["alertname"] == r["alert"] and x["exp_alerts"])
             for r in rules}
    print("alert_series: %d seconds recorded, replayed at %d s each; evaluations with the alert "
          "firing: %s" % (n, step, fired), file=sys.stderr)
    doc = {
        "rule_files": ["portscope.rules.yml"],
        "evaluation_interval": "%ds" % step,
        "tests": [{
            "interval": "%ds" % step,
            "input_series": [{"series": "%s{%s}" % (l["__name__"], ",".join(
                '%s="%s"' % (k, v) for k, v in sorted(l.items()) if k != "__name__")),
                "values": values(v)} for l, v in rec],
            "alert_rule_test": tests,
        }],
    }
    print("# Generated by tests/tools/alert_series.py from series a real Prometheus recorded")
    print("# (1 s scrapes of 'portscope metrics --ephemeral --conflicts' while a client")
    print("# opened 10 connections a second until its 100 source ports ran out), each")
    print("# second replayed as %d s. Expected alerts worked out by the script's own" % step)
    print("# reading of the rules, not by Prometheus.")
    yaml.safe_dump(doc, sys.stdout, sort_keys=False, width=200)


if __name__ == "__main__":
    main()
