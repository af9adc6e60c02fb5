#!/usr/bin/env python3
"""The "restricted" Pod Security Standard (Kubernetes pod-security-admission, latest) checked
offline on every pod template of the given manifests, plus what this deployment promises on top
(docker/kubernetes/README.md): a read-only root file system, a startup, liveness and readiness
probe on each container, and a vigil profile from a ConfigMap.

  check-restricted.py FILE.yaml...    exit 0: every pod passes; 1: "FILE: KIND NAME: rule" lines

Each rule is one function below, named after the policy it checks, so a failing line says which
control of https://kubernetes.io/docs/concepts/security/pod-security-standards/ was broken.
"""
import sys

import yaml

POD_KINDS = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
             "ReplicationController"}
# Restricted: the volume types allowed.
ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                   "persistentVolumeClaim", "projected", "secret"}
# Baseline: sysctls in the safe set.
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {None, "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


def pod_spec(doc):
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def pod_metadata(doc):
    if doc.get("kind") == "Pod":
        return doc.get("metadata") or {}
    if doc.get("kind") == "CronJob":
        return ((((doc.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("metadata") or {}
    return ((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}


def containers(spec):
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or []:
            yield key, c


def check(doc):
    """Every broken rule of DOC's pod template, as a list of strings."""
    errors = []
    spec = pod_spec(doc)
    psc = spec.get("securityContext") or {}
    all_containers = list(containers(spec))
    if not spec.get("containers"):
        errors.append("no containers in the pod template")

    def each(rule, ok, where):
        if not ok:
            errors.append(f"{where}: {rule}")

    # --- baseline ---
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        each(f"baseline/host-namespaces: {key} must not be true", not spec.get(key), "pod")
    each("baseline/windows-hostprocess", not (psc.get("windowsOptions") or {}).get("hostProcess"), "pod")
    for v in spec.get("volumes") or []:
        each("baseline/hostpath-volumes: hostPath volume", "hostPath" not in v, f"volume {v.get('name')}")
    for s in psc.get("sysctls") or []:
        each(f"baseline/sysctls: {s.get('name')} is not in the safe set", s.get("name") in SAFE_SYSCTLS, "pod")
    se = psc.get("seLinuxOptions") or {}
    each("baseline/selinux: type", se.get("type") in SELINUX_TYPES, "pod")
    each("baseline/selinux: user/role must be unset", not se.get("user") and not se.get("role"), "pod")
    each("baseline/apparmor: Unconfined", (psc.get("appArmorProfile") or {}).get("type") != "Unconfined", "pod")
    for k, v in (pod_metadata(doc).get("annotations") or {}).items():
        if k.startswith("container.apparmor.security.beta.kubernetes.io/"):
            each("baseline/apparmor: unconfined annotation", v != "unconfined", "pod")
    each("baseline/seccomp: pod seccompProfile Unconfined",
         (psc.get("seccompProfile") or {}).get("type") != "Unconfined", "pod")

    for key, c in all_containers:
        where = f"{key[:-1]} {c.get('name')}"
        sc = c.get("securityContext") or {}
        caps = sc.get("capabilities") or {}
        each("baseline/privileged: privileged must not be true", not sc.get("privileged"), where)
        each("baseline/windows-hostprocess", not (sc.get("windowsOptions") or {}).get("hostProcess"), where)
        each("baseline/proc-mount: procMount must be Default", sc.get("procMount") in (None, "Default"), where)
        for p in c.get("ports") or []:
            each("baseline/host-ports: hostPort", not p.get("hostPort"), where)
        cse = sc.get("seLinuxOptions") or {}
        each("baseline/selinux: type", cse.get("type") in SELINUX_TYPES, where)
        each("baseline/apparmor: Unconfined", (sc.get("appArmorProfile") or {}).get("type") != "Unconfined", where)

        # --- restricted ---
        each("restricted/privilege-escalation: allowPrivilegeEscalation must be false",
             sc.get("allowPrivilegeEscalation") is False, where)
        each("restricted/capabilities: drop must include ALL", "ALL" in (caps.get("drop") or []), where)
        added = set(caps.get("add") or [])
        each(f"restricted/capabilities: only NET_BIND_SERVICE may be added, not {sorted(added - {'NET_BIND_SERVICE'})}",
             added <= {"NET_BIND_SERVICE"}, where)
        run_as_non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        each("restricted/running-as-non-root: runAsNonRoot must be true (pod or container)",
             run_as_non_root is True, where)
        each("restricted/running-as-non-root-user: runAsUser must not be 0",
             sc.get("runAsUser", psc.get("runAsUser")) != 0, where)
        seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
        each("restricted/seccomp: seccompProfile.type must be RuntimeDefault or Localhost (pod or container)",
             seccomp in ("RuntimeDefault", "Localhost"), where)
        if seccomp == "Localhost":
            profile = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("localhostProfile")
            each("restricted/seccomp: Localhost needs localhostProfile", bool(profile), where)

    # --- restricted: volume types ---
    for v in spec.get("volumes") or []:
        types = set(v) - {"name"}
        each(f"restricted/volume-types: {sorted(types)} is not an allowed volume type",
             types <= ALLOWED_VOLUMES, f"volume {v.get('name')}")
    return errors


def check_deployment_promises(doc):
    """What docker/kubernetes/README.md promises beyond the standard, for the app containers."""
    errors = []
    spec = pod_spec(doc)
    volumes = {v.get("name"): v for v in spec.get("volumes") or []}
    for c in spec.get("containers") or []:
        where = f"container {c.get('name')}"
        sc = c.get("securityContext") or {}
        if sc.get("readOnlyRootFilesystem") is not True:
            errors.append(f"{where}: readOnlyRootFilesystem must be true")
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if not c.get(probe):
                errors.append(f"{where}: no {probe}")
        startup = c.get("startupProbe") or {}
        budget = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
        if startup and budget < 120:
            errors.append(f"{where}: startupProbe allows only {budget} s; a JVM needs tens of seconds (>= 120)")
        mounts = {m.get("mountPath"): m for m in c.get("volumeMounts") or []}
        writable = [p for p, m in mounts.items() if not m.get("readOnly")
                    and any(k in (volumes.get(m.get("name")) or {}) for k in ("persistentVolumeClaim", "emptyDir", "ephemeral"))]
        if not writable:
            errors.append(f"{where}: no writable data volume (the root file system is read-only)")
        env = {e.get("name"): e.get("value") for e in c.get("env") or []}
        profile = env.get("VIGIL_PROFILE")
        if not profile:
            errors.append(f"{where}: VIGIL_PROFILE is not set")
        else:
            from_configmap = any(profile.startswith(p.rstrip("/") + "/") and "configMap" in (volumes.get(m.get("name")) or {})
                                 for p, m in mounts.items())
            if not from_configmap:
                errors.append(f"{where}: VIGIL_PROFILE {profile} is not in a mounted ConfigMap")
        command = c.get("command") or []
        if command[:1] != ["/vigil"]:
            errors.append(f"{where}: the command does not start with /vigil (vigil must be PID 1)")
    return errors


def main(files):
    failures = 0
    pods = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        for doc in docs:
            if doc.get("kind") not in POD_KINDS:
                continue
            pods += 1
            name = f"{path}: {doc.get('kind')} {(doc.get('metadata') or {}).get('name')}"
            problems = check(doc) + check_deployment_promises(doc)
            for p in problems:
                print(f"{name}: {p}")
            failures += len(problems)
            if not problems:
                print(f"restricted: {name}")
    if pods == 0:
        print("no pod templates in " + " ".join(files))
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
