"""deploy/: Prometheus config and rules pass promtool, compose and k8s files hang together,
dashboards and rules only name metrics the services define and tables the migrations create."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
METRIC = re.compile(r"\b(?:leadfunnel|funnel)_[a-z0-9_]+\b")
DEFINED = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*\"([a-z_:][a-z0-9_:]*)\"", re.S)


def promtool(*args: str) -> str:
    """Run promtool; the test fails (never skips) when it is missing."""
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is required: run deploy/local/tools.sh", pytrace=False)
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def defined_metrics() -> set[str]:
    """Every series name the services expose, as Prometheus sees them."""
    names = {"up"}
    for package in ("services", "runtime", "funnel", "scoring", "alerts"):
        for path in (ROOT / package).rglob("*.py"):
            for kind, name in DEFINED.findall(path.read_text(encoding="utf-8")):
                match kind:
                    case "Counter":
                        names.add(name if name.endswith("_total") else f"{name}_total")
                    case "Histogram" | "Summary":
                        names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum", name}
                    case _:
                        names.add(name)
    return names


def procfile() -> dict[str, str]:
    """Process name → `python -m` module of `make run`."""
    lines = (DEPLOY / "local" / "Procfile").read_text().splitlines()
    pairs = [line.split(":", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name.strip(): command.split("-m", 1)[1].split()[0] for name, command in pairs}


def test_prometheus_config_and_rules_pass_promtool() -> None:
    assert "SUCCESS" in promtool("check", "config", str(DEPLOY / "prometheus" / "prometheus.yml"))
    compose_config = str(DEPLOY / "compose" / "prometheus.yml")
    assert "SUCCESS" in promtool("check", "config", "--syntax-only", compose_config)
    assert "SUCCESS" in promtool("check", "rules", str(DEPLOY / "prometheus" / "rules.yml"))


def test_alert_rules_pass_their_unit_tests() -> None:
    assert "SUCCESS" in promtool("test", "rules", str(DEPLOY / "prometheus" / "rules.test.yml"))


def test_every_make_run_process_with_metrics_is_scraped_on_its_port() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"][0] for job in config["scrape_configs"]
    }
    ports = {"ingest": 8000, "query": 8001, "projector": 8002, "alerts": 8003, "scoring": 8004}
    for process in procfile():
        assert targets[f"leadfunnel-{process}"] == f"127.0.0.1:{ports[process]}"
    compose = yaml.safe_load((DEPLOY / "compose" / "prometheus.yml").read_text())
    assert {j["job_name"] for j in compose["scrape_configs"]} == set(targets)


def test_rules_name_only_metrics_the_services_define() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = {name for expr in exprs for name in METRIC.findall(expr)}
    assert used and used <= defined_metrics(), used - defined_metrics()


def _panels(name: str) -> list[dict[str, Any]]:
    board = json.loads((DEPLOY / "grafana" / f"{name}.json").read_text(encoding="utf-8"))
    assert board["uid"] == f"leadfunnel-{name}" and board["panels"]
    return list(board["panels"])


@pytest.mark.parametrize("name", ["pipeline", "funnel"])
def test_dashboard_panels_query_existing_metrics_and_tables(name: str) -> None:
    metrics = defined_metrics()
    migrations = " ".join(p.read_text() for p in (DEPLOY / "postgres" / "migrations").glob("*.sql"))
    panels = _panels(name)
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            if "expr" in target:
                used = set(METRIC.findall(target["expr"])) or {"up"}
                assert used <= metrics, (panel["title"], used - metrics)
            else:
                tables = re.findall(r"\b((?:funnel|alerts)\.[a-z_]+)", target["rawSql"])
                assert tables, panel["title"]
                for table in tables:
                    assert f"CREATE TABLE {table} " in migrations, (panel["title"], table)


def test_pipeline_dashboard_shows_rate_rejections_lag_promotions_and_latency() -> None:
    exprs = " ".join(t.get("expr", "") for p in _panels("pipeline") for t in p["targets"])
    for metric in (
        "leadfunnel_ingest_events_accepted_total",
        "leadfunnel_ingest_events_rejected_total",
        "leadfunnel_projector_lag_messages",
        "leadfunnel_alerts_promotions_seen_total",
        "leadfunnel_ingest_request_seconds_bucket",
    ):
        assert metric in exprs


UNITS = ("_seconds", "_records", "_bytes")  # what a histogram measures, in its name


def test_metric_names_share_one_prefix_and_say_their_unit() -> None:
    names = {name for package in ("services", "runtime", "funnel", "scoring", "alerts")
             for path in (ROOT / package).rglob("*.py")
             for name in DEFINED.findall(path.read_text(encoding="utf-8"))}  # fmt: skip
    assert len(names) > 40
    for kind, name in names:
        assert name.startswith("leadfunnel_"), name
        if kind == "Histogram":
            assert name.endswith(UNITS), name
        if "lag" in name:
            assert name.endswith("_messages"), name


def test_every_scoring_metric_is_on_a_panel_or_in_a_rule() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    exprs += [t["expr"] for name in ("pipeline", "funnel") for p in _panels(name)
              for t in p["targets"] if "expr" in t]  # fmt: skip
    used = {re.sub(r"_(bucket|sum|count)$", "", n) for e in exprs for n in METRIC.findall(e)}
    scoring = {re.sub(r"_(bucket|sum|count)$", "", n) for n in defined_metrics()
               if n.startswith("leadfunnel_scoring_")}  # fmt: skip
    assert len(scoring) >= 15
    assert scoring <= used, scoring - used


def test_every_metric_is_documented_in_docs_metrics() -> None:
    documented = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    names = {re.sub(r"_(bucket|sum|count)$", "", n) for n in defined_metrics()} - {"up"}
    assert len(names) > 40
    missing = {name for name in names if f"| `{name}` |" not in documented}
    assert not missing, missing


def test_pipeline_dashboard_filters_by_instance_and_topic() -> None:
    board = json.loads((DEPLOY / "grafana" / "pipeline.json").read_text(encoding="utf-8"))
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert set(variables) == {"instance", "topic"}
    assert variables["instance"]["query"]["query"].startswith("label_values(up{")
    topics = variables["topic"]["query"]["query"]
    lags = re.search(r"leadfunnel_\((.*)\)_messages", topics)
    assert lags is not None
    for name in lags.group(1).split("|"):
        assert f"leadfunnel_{name}_messages" in defined_metrics(), name
    exprs = [t["expr"] for p in _panels("pipeline") for t in p["targets"]]
    lag = [e for e in exprs if "lag_messages" in e]
    assert lag and all('topic=~"$topic"' in e for e in lag)
    assert sum('instance=~"$instance"' in e for e in exprs) >= 20


def test_compose_runs_kafka_postgres_monitoring_and_every_make_run_process() -> None:
    compose = yaml.safe_load((DEPLOY / "compose" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"kafka", "postgres", "prometheus", "grafana", "scoring"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:4")
    assert "broker,controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert services["postgres"]["image"].startswith("postgres:")
    for name, module in procfile().items():
        assert services[name]["command"] == ["python", "-m", module], name
    for name, service in services.items():
        assert service.get("image") or service.get("build"), name
    published = {s: service.get("ports", []) for s, service in services.items()}
    assert "8000:8000" in published["ingest"] and "8001:8001" in published["query"]
    assert "9090:9090" in published["prometheus"] and "3000:3000" in published["grafana"]
    base = DEPLOY / "compose"
    for service in (services["prometheus"], services["grafana"]):
        for volume in service["volumes"]:
            source = volume.split(":")[0]
            assert not source.startswith(".") or (base / source).exists(), source
    assert (ROOT / services["ingest"]["build"]["dockerfile"]).exists()


def _k8s() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def test_k8s_manifests_are_complete_and_consistent() -> None:
    docs = _k8s()
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for doc in docs:
        assert doc["apiVersion"] and doc["metadata"]["name"]
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "leadfunnel", doc["metadata"]["name"]
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    deployments = by_kind["Deployment"]
    assert set(procfile()) | {"scoring"} <= set(deployments)
    for name, deployment in deployments.items():
        spec = deployment["spec"]
        assert (
            spec["selector"]["matchLabels"].items()
            <= spec["template"]["metadata"]["labels"].items()
        )
        (container,) = spec["template"]["spec"]["containers"]
        assert container["image"].startswith("leadfunnel:")
        refs = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
        assert refs <= set(by_kind["ConfigMap"]) | set(by_kind["Secret"]), name
        if name in procfile():
            assert container["command"] == ["python", "-m", procfile()[name]], name
        # every process answers real probes over HTTP (a TCP connect proves nothing)
        ready, alive = container["readinessProbe"], container["livenessProbe"]
        assert ready["httpGet"]["path"] == "/readyz" and alive["httpGet"]["path"] == "/healthz", (
            name
        )
    for service in by_kind["Service"].values():
        assert service["spec"]["selector"]["app.kubernetes.io/name"] in deployments
    projector = deployments["projector"]["spec"]
    assert projector["replicas"] >= 2  # a consumer group: the replicas share the partitions
    assert projector.get("strategy", {}).get("type") != "Recreate"  # a rolling update is safe
    partitions = int(
        by_kind["ConfigMap"]["leadfunnel-config"]["data"]["LEADFUNNEL_TOPIC_PARTITIONS"]
    )
    config = by_kind["ConfigMap"]["leadfunnel-config"]["data"]
    if by_kind["HorizontalPodAutoscaler"]["ingest"]["spec"]["maxReplicas"] > 1:
        assert config["LEADFUNNEL_INGEST_RATE_STORE"] == "postgres"  # one limit for all replicas
    autoscalers = by_kind["HorizontalPodAutoscaler"]
    assert "scoring" not in autoscalers  # each step rebalances Faust and restores tables
    alerts = autoscalers["alerts"]["spec"]  # a consumer group: never beyond the partitions,
    assert alerts["maxReplicas"] <= partitions  # and rebalances damped
    assert alerts["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 300
    assert deployments["scoring"]["spec"]["replicas"] <= partitions


def _pod_specs() -> dict[str, dict[str, Any]]:
    return {
        doc["metadata"]["name"]: doc["spec"]["template"]["spec"]
        for doc in _k8s()
        if doc["kind"] in ("Deployment", "Job")
    }


def test_every_k8s_pod_runs_unprivileged_on_a_read_only_root_with_empty_dirs_to_write() -> None:
    pods = _pod_specs()
    assert {"ingest", "query", "scoring", "projector", "alerts", "leadfunnel-setup"} <= set(pods)
    for name, pod in pods.items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name  # the image's user
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
            assert "emptyDir" in mounts["/tmp"], name
            for path, volume in mounts.items():  # writable: emptyDir; configuration: read-only
                assert "emptyDir" in volume or "configMap" in volume, (name, path)
    scoring = {e["name"]: e.get("value") for e in pods["scoring"]["containers"][0]["env"]}
    tables = scoring["LEADFUNNEL_SCORING_DATA_DIR"]
    mounts = {m["mountPath"]: m["name"] for m in pods["scoring"]["containers"][0]["volumeMounts"]}
    assert "emptyDir" in {v["name"]: v for v in pods["scoring"]["volumes"]}[mounts[tables]]


def test_every_k8s_deployment_has_a_disruption_budget() -> None:
    docs = _k8s()
    budgets = [doc["spec"] for doc in docs if doc["kind"] == "PodDisruptionBudget"]
    for deployment in (doc for doc in docs if doc["kind"] == "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [b for b in budgets if b["selector"]["matchLabels"].items() <= labels.items()]
        assert len(covering) == 1, deployment["metadata"]["name"]
        assert covering[0].get("maxUnavailable", 1) == 1 or covering[0]["minAvailable"] >= 1


def _rules_generator() -> Any:
    path = DEPLOY / "k8s" / "rules_configmaps.py"
    spec = importlib.util.spec_from_file_location("rules_configmaps", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_rules_config_maps_hold_the_rules_files_and_are_mounted_where_they_are_read() -> None:
    generated = (DEPLOY / "k8s" / "rules.yaml").read_text(encoding="utf-8")
    assert generated == _rules_generator().render(), "run python deploy/k8s/rules_configmaps.py"
    maps = {doc["metadata"]["name"]: doc for doc in _k8s() if doc["kind"] == "ConfigMap"}
    scoring_rules = maps["leadfunnel-scoring-rules"]["data"]["scoring.yaml"]
    assert scoring_rules == (ROOT / "scoring" / "default_rules.yaml").read_text(encoding="utf-8")
    prometheus = maps["leadfunnel-prometheus-rules"]["data"]["rules.yml"]
    assert prometheus == (DEPLOY / "prometheus" / "rules.yml").read_text(encoding="utf-8")
    for name in ("scoring", "query"):  # both read LEADFUNNEL_SCORING_RULES_PATH
        pod = _pod_specs()[name]
        (container,) = pod["containers"]
        path = {e["name"]: e.get("value") for e in container["env"]}[
            "LEADFUNNEL_SCORING_RULES_PATH"
        ]
        volumes = {v["name"]: v for v in pod["volumes"]}
        (mount,) = [m for m in container["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
        assert volumes[mount["name"]]["configMap"]["name"] == "leadfunnel-scoring-rules", name
        assert (
            path.removeprefix(mount["mountPath"] + "/") in maps["leadfunnel-scoring-rules"]["data"]
        )


KUBERNETES_VERSION = "1.30.0"


def _validator() -> Any:
    try:
        import kubernetes_validate
    except ImportError:  # a dev dependency: make venv installs it; fail, never skip
        pytest.fail("kubernetes-validate is required: make venv installs it", pytrace=False)
    return kubernetes_validate


def test_k8s_manifests_validate_strictly_against_the_kubernetes_api_schemas() -> None:
    validator = _validator()
    docs = _k8s()
    assert len(docs) >= 20
    for doc in docs:
        validator.validate(doc, KUBERNETES_VERSION, strict=True)  # raises naming the field
    broken = json.loads(json.dumps(next(d for d in docs if d["kind"] == "Deployment")))
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRoot"] = True
    with pytest.raises(validator.ValidationError):  # a misspelled field does not pass
        validator.validate(broken, KUBERNETES_VERSION, strict=True)


def test_compose_file_passes_docker_compose_config_without_an_engine() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is required: deploy/local/tools.sh installs it", pytrace=False)
    checked = subprocess.run(
        [binary, "-f", "docker-compose.yml", "config", "-q"],
        cwd=DEPLOY / "compose",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr


def _docker_compose() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is required: deploy/local/tools.sh installs it", pytrace=False)
    return binary


def rendered_compose(env: dict[str, str]) -> dict[str, Any]:
    """The compose file as `docker-compose config` resolves it under `env` (no .env file)."""
    done = subprocess.run(
        [_docker_compose(), "-f", str(DEPLOY / "compose" / "docker-compose.yml"), "config"],
        cwd=DEPLOY / "compose",
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return dict(yaml.safe_load(done.stdout))


def kafka_properties(environment: dict[str, str]) -> dict[str, str]:
    """The server properties the apache/kafka image writes from its KAFKA_* variables."""
    properties = {}
    for name, value in environment.items():
        if name.startswith("KAFKA_") and not name.endswith("_OPTS"):
            key = name.removeprefix("KAFKA_").lower()
            key = key.replace("___", "-").replace("__", "\0").replace("_", ".").replace("\0", "_")
            properties[key] = str(value)
    return properties


def _volume(volume: str | dict[str, str]) -> tuple[str, str]:
    if isinstance(volume, str):  # docker-compose 1.x renders the short form
        source, target = volume.split(":")[:2]
        return source, target
    return volume["source"], volume["target"]


def test_compose_kafka_formats_its_storage_on_the_mounted_volume(tmp_path: Path) -> None:
    kafka = rendered_compose({})["services"]["kafka"]
    mounts = [_volume(v) for v in kafka["volumes"]]
    (target,) = [target for source, target in mounts if source == "kafka-data"]
    properties = kafka_properties(kafka["environment"])
    log_dirs = properties["log.dirs"].split(",")
    assert all(Path(d).is_relative_to(target) for d in log_dirs), (log_dirs, target)
    # Format the storage with this very configuration, the volume mounted at a scratch folder
    volume = tmp_path / "kafka-data"
    volume.mkdir()
    properties["log.dirs"] = properties["log.dirs"].replace(target, str(volume))
    config = tmp_path / "server.properties"
    config.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))
    java, libs = shutil.which("java"), ROOT / ".cache" / "kafka" / "libs"
    if not (libs / ".complete").exists():  # a broker of another checkout answered the tests
        subprocess.run([str(DEPLOY / "local" / "kafka.sh"), "fetch"], timeout=600, check=False)
    if java is None or not (libs / ".complete").exists():
        pytest.fail(
            "java and the Kafka jars are required: deploy/local/kafka.sh fetch", pytrace=False
        )
    cluster_id = "q1Sh-9_ISia_zwGINzRvyQ"
    tool = [java, "-Xmx128m", "-cp", f"{libs}/*", "kafka.tools.StorageTool"]
    formatted = subprocess.run(
        [*tool, "format", "-t", cluster_id, "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    assert f"cluster.id={cluster_id}" in (volume / "meta.properties").read_text()


CLEAN_ENV = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}


def start_refused(command: list[str], env: dict[str, Any], cwd: Path) -> str:
    """Run a leadfunnel entry point under exactly `env`; assert it refused; its stderr."""
    given = {name: str(value) for name, value in env.items() if value is not None}
    done = subprocess.run(
        [sys.executable, "-m", *command],
        env={**CLEAN_ENV, **given},
        cwd=cwd,  # no .env file of a developer's
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0, done.stdout + done.stderr
    assert "refusing to start with development credentials" in done.stderr, done.stderr
    return done.stderr


def test_compose_refuses_development_credentials_unless_in_development_mode(
    tmp_path: Path,
) -> None:
    services = rendered_compose({"POSTGRES_PASSWORD": "pg-secret-1"})["services"]
    setup_env = services["setup"]["environment"]
    assert "services.ops check-settings" in services["setup"]["command"][-1].split("&&")[0]
    for name in ("ingest", "query", "scoring", "projector", "alerts", "grafana"):
        assert services[name]["depends_on"]["setup"] == {
            "condition": "service_completed_successfully"
        }
    refused = start_refused(["services.ops", "check-settings"], setup_env, tmp_path)
    for name in (
        "LEADFUNNEL_WRITE_KEYS",
        "LEADFUNNEL_READ_TOKEN_SHA256S",
        "LEADFUNNEL_PII_HMAC_SECRET",
        "LEADFUNNEL_PII_MASTER_KEY",
        "LEADFUNNEL_GRAFANA_ADMIN_PASSWORD",
    ):
        assert name in refused
    assert "DATABASE_URL" not in refused and "change-me" not in refused  # names, never values
    for entry, name in (("services.ingest", "WRITE_KEYS"), ("services.query", "READ_TOKEN")):
        refused = start_refused([entry], services[entry.split(".")[1]]["environment"], tmp_path)
        assert f"LEADFUNNEL_{name}" in refused

    development = {**setup_env, "LEADFUNNEL_DEV_MODE": "1"}
    allowed = subprocess.run(
        [sys.executable, "-m", "services.ops", "check-settings"],
        env={**CLEAN_ENV, **{k: str(v) for k, v in development.items() if v is not None}},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert allowed.returncode == 0, allowed.stderr


def test_k8s_ingest_and_query_refuse_the_placeholder_secret(tmp_path: Path) -> None:
    docs = {(doc["kind"], doc["metadata"]["name"]): doc for doc in _k8s()}
    env = {
        **docs[("ConfigMap", "leadfunnel-config")]["data"],
        **docs[("Secret", "leadfunnel-secrets")]["stringData"],
    }
    assert env["LEADFUNNEL_DEV_MODE"] == "false"
    ingest = start_refused(["services.ingest"], env, tmp_path)
    assert "LEADFUNNEL_PII_HMAC_SECRET" in ingest and "LEADFUNNEL_PII_MASTER_KEY" in ingest
    assert "CHANGE-ME" not in ingest
    query = start_refused(["services.query"], env, tmp_path)
    assert "DATABASE_URL" in query and "LEADFUNNEL_READ_TOKEN_SHA256S" in query
