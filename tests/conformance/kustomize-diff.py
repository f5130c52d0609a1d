#!/usr/bin/env python3
"""Seeded differential test: random kustomizations, hoist render vs kubectl kustomize.

  kustomize-diff.py HOIST [--cases N] [--seed S] [--jobs J] [--keep DIR]

Each case is a small tree: a base with a few objects, an optional component,
and an overlay drawing on every built-in transformer and generator
(prefix/suffix, namespace, labels, annotations, images, replicas, patches of
the three kinds, generators with options, replacements, vars,
configurations), with now and then a scalar of another YAML 1.1 type
(yes, on, 0x10, 1.5, ~, a tag, a quoted number) put where a string, bool
or integer goes, or as a key.  Both tools build the overlay; the output, or the fact of
failing, must be the same.  On a difference it prints the seed, shrinks the
case (dropping overlay fields one at a time while the difference stays) and
prints the smallest one.  Ends with "N passed, N failed".
"""
import argparse
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys
import tempfile

KINDS = ["Deployment", "StatefulSet", "Service", "ConfigMap", "Secret", "Job", "Widget"]


def obj(rng, kind, name):
    meta = {"name": name}
    if rng.random() < 0.3:
        meta["labels"] = {"app": name, rng.choice(["tier", "team"]): rng.choice(["a", "b"])}
    if rng.random() < 0.2:
        meta["annotations"] = {"note": rng.choice(["x", "8080", "true", "a b"])}
    if rng.random() < 0.15:
        meta["namespace"] = rng.choice(["ns1", "ns2"])
    pod = {"metadata": {"labels": {"app": name}},
           "spec": {"containers": [{"name": "main", "image": rng.choice(["nginx", "nginx:1.2", "busybox@sha256:" + "a" * 64, "reg.io/app/web:v1"]),
                                    "args": rng.choice([["run"], ["--x=$(CFG)"], ["$(SVC)"]]),
                                    "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}}]}],
                    "volumes": [{"name": "v", "configMap": {"name": "cfg"}}]}}
    if kind == "Deployment":
        body = {"apiVersion": "apps/v1", "kind": kind, "metadata": meta,
                "spec": {"replicas": rng.choice([1, 2]), "selector": {"matchLabels": {"app": name}}, "template": pod}}
    elif kind == "StatefulSet":
        body = {"apiVersion": "apps/v1", "kind": kind, "metadata": meta,
                "spec": {"serviceName": "svc", "selector": {"matchLabels": {"app": name}}, "template": pod}}
    elif kind == "Job":
        body = {"apiVersion": "batch/v1", "kind": kind, "metadata": meta, "spec": {"template": pod}}
    elif kind == "Service":
        body = {"apiVersion": "v1", "kind": kind, "metadata": meta,
                "spec": {"selector": {"app": name}, "ports": [{"port": rng.choice([80, 443]), "targetPort": 8080}]}}
    elif kind == "ConfigMap":
        body = {"apiVersion": "v1", "kind": kind, "metadata": meta,
                "data": {"k": rng.choice(["v", "1", "yes", "multi\nline"]), "other": "o"}}
    elif kind == "Secret":
        body = {"apiVersion": "v1", "kind": kind, "metadata": meta, "type": "Opaque",
                "data": {"k": "dmFsdWU="}}
    else:
        body = {"apiVersion": "example.com/v1", "kind": kind, "metadata": meta,
                "spec": {"size": 1, "ref": {"name": "cfg"}}}
    return body


def dump(x, ind=0):
    """A small YAML writer (block style, quoted strings) so no library is needed."""
    pad = " " * ind
    out = []
    if isinstance(x, dict):
        if not x:
            return pad + "{}\n"
        for k, v in x.items():
            if isinstance(v, (dict, list)) and v:
                out.append("%s%s:\n%s" % (pad, q(k), dump(v, ind + 2)))
            else:
                out.append("%s%s: %s\n" % (pad, q(k), scalar(v)))
        return "".join(out)
    if isinstance(x, list):
        if not x:
            return pad + "[]\n"
        for v in x:
            if isinstance(v, (dict, list)) and v:
                body = dump(v, ind + 2)
                out.append("%s- %s" % (pad, body[ind + 2:]))
            else:
                out.append("%s- %s\n" % (pad, scalar(v)))
        return "".join(out)
    return pad + scalar(x) + "\n"


class Raw(str):
    """A scalar written as it is, unquoted: YAML 1.1 typing applies to it."""


# What a kustomization may hold where a string, a bool or an integer goes:
# kustomize reads its files with YAML 1.1 rules and decodes them through
# JSON into typed structs, so each is accepted or refused by its field.
RAW_SCALARS = ["yes", "no", "on", "Off", "y", "N", "true", "FALSE", "123", "-7", "0x10",
               "017", "0o17", "1_0", "1.5", "3.0", "1e3", "~", "null", "", '"123"', '"yes"',
               "!!str 7", "!!int 5", "!custom 9", "2001-12-14", ".inf", "08"]


def q(s):
    if isinstance(s, Raw):
        return str(s)
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") if isinstance(s, str) else str(s)


def scalar(v):
    if isinstance(v, Raw):
        return str(v)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    if isinstance(v, (int, float)):
        return str(v)
    return q(v)


def make_case(seed):
    rng = random.Random(seed)
    files = {}
    names = []
    base_res = []
    for i in range(rng.randint(1, 4)):
        kind = rng.choice(KINDS)
        name = rng.choice(["web", "api", "cfg", "svc", "db"]) + ("" if i == 0 else str(i))
        names.append((kind, name))
        files["base/r%d.yaml" % i] = dump(obj(rng, kind, name))
        base_res.append("r%d.yaml" % i)
    base = {"resources": base_res}
    if rng.random() < 0.3:
        base["namePrefix"] = "b-"
    files["base/kustomization.yaml"] = dump(base)

    ov = {"resources": ["../base"]}
    if rng.random() < 0.3:
        files["comp/kustomization.yaml"] = dump({
            "apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component",
            "commonAnnotations": {"component": "on"},
            "configMapGenerator": [{"name": "comp-cfg", "literals": ["c=1"]}]})
        ov["components"] = ["../comp"]
    if rng.random() < 0.4:
        ov["namePrefix"] = rng.choice(["p-", "pre-"])
    if rng.random() < 0.3:
        ov["nameSuffix"] = rng.choice(["-s", "-v2"])
    if rng.random() < 0.4:
        ov["namespace"] = rng.choice(["prod", "ns1"])
    if rng.random() < 0.4:
        ov["commonLabels"] = {"env": rng.choice(["prod", "dev"])}
    if rng.random() < 0.3:
        ov["labels"] = [{"pairs": {"owner": "me"}, "includeSelectors": rng.random() < 0.5,
                         "includeTemplates": rng.random() < 0.5}]
    if rng.random() < 0.3:
        ov["commonAnnotations"] = {"team": rng.choice(["a", "1", "x y"])}
    if rng.random() < 0.4:
        ov["images"] = [rng.choice([{"name": "nginx", "newTag": "1.25"},
                                    {"name": "busybox", "newName": "reg.io/bb", "digest": "sha256:" + "b" * 64},
                                    {"name": "reg.io/app/web", "newName": "reg.io/app/api"}])]
    if rng.random() < 0.3:
        kind, name = rng.choice(names)
        ov["replicas"] = [{"name": name, "count": rng.choice([0, 3])}]
    gens = []
    if rng.random() < 0.5:
        g = {"name": "cfg", "literals": ["k=%s" % rng.choice(["v", "1", "a=b"]), "z=last"]}
        if rng.random() < 0.3:
            g["behavior"] = rng.choice(["create", "merge", "replace"])
        if rng.random() < 0.3:
            g["options"] = {"disableNameSuffixHash": True}
        gens.append(g)
        ov["configMapGenerator"] = gens
    if rng.random() < 0.3:
        ov["secretGenerator"] = [{"name": "sec", "literals": ["p=%s" % ("x" * rng.choice([3, 60]))],
                                  "type": "Opaque"}]
    if rng.random() < 0.2:
        ov["generatorOptions"] = {"labels": {"gen": "yes"}}
    patches = []
    if rng.random() < 0.4:
        kind, name = rng.choice(names)
        patches.append({"target": {"kind": kind}, "patch": dump([
            {"op": rng.choice(["add", "replace"]), "path": "/metadata/annotations",
             "value": {"patched": "yes"}}])})
    if rng.random() < 0.4:
        kind, name = rng.choice(names)
        body = obj(rng, kind, name)
        sm = {"apiVersion": body["apiVersion"], "kind": kind, "metadata": {"name": name,
              "labels": {"patched": "sm"}}}
        if kind == "Deployment" and rng.random() < 0.5:
            sm["spec"] = {"template": {"spec": {"containers": [{"name": "main", "image": "patched"}]}}}
        patches.append({"patch": dump(sm)})
    if patches:
        ov["patches"] = patches
    if rng.random() < 0.3:
        kind, name = rng.choice(names)
        ov["replacements"] = [{"source": {"kind": kind, "name": name, "fieldPath": "metadata.name"},
                               "targets": [{"select": {"kind": rng.choice(KINDS)},
                                            "fieldPaths": ["metadata.annotations.src"],
                                            "options": {"create": True}}]}]
    if rng.random() < 0.2 and any(k == "ConfigMap" for k, _ in names):
        n = [nm for k, nm in names if k == "ConfigMap"][0]
        ov["vars"] = [{"name": "CFG", "objref": {"kind": "ConfigMap", "name": n, "apiVersion": "v1"},
                       "fieldref": {"fieldPath": "metadata.name"}}]
    if rng.random() < 0.2:
        files["overlay/cfg.yaml"] = dump({"nameReference": [{"kind": "ConfigMap", "version": "v1",
                                          "fieldSpecs": [{"kind": "Widget", "path": "spec/ref/name"}]}]})
        ov["configurations"] = ["cfg.yaml"]
    if rng.random() < 0.2:
        ov["sortOptions"] = {"order": rng.choice(["legacy", "fifo"])}
    # Scalars of other types: drawn from their own generator, so the rest
    # of each case stays what it was before this was added.
    mut = random.Random(seed ^ 0x5CA1A5)
    if "commonLabels" in ov and "labels" in ov and mut.random() < 0.5:
        # One key in both: kustomize applies labels: first, commonLabels last.
        ov["labels"][0]["pairs"]["env"] = "from-labels"
    if mut.random() < 0.25:
        for _ in range(mut.choice([1, 1, 2])):
            retype(mut, ov)
    files["overlay/kustomization.yaml"] = dump(ov)
    return files


def retype(rng, ov):
    """Replaces one scalar of the overlay (or a label key) by one of RAW_SCALARS."""
    slots = []

    def walk(x, top):
        items = x.items() if isinstance(x, dict) else enumerate(x)
        for k, v in items:
            if top and k in ("resources", "components", "configurations"):
                continue
            if isinstance(v, (dict, list)):
                walk(v, False)
            else:
                slots.append((x, k))
            if isinstance(x, dict) and not top and isinstance(k, str) and rng.random() < 0.1:
                slots.append((x, ("key", k)))

    walk(ov, True)
    if not slots:
        return
    x, k = rng.choice(slots)
    raw = Raw(rng.choice(RAW_SCALARS))
    if isinstance(k, tuple):
        if k[1] in x:
            x[Raw(raw or "~")] = x.pop(k[1])
    else:
        x[k] = raw


def run_case(args, files, workdir):
    os.makedirs(workdir, exist_ok=True)
    for path, text in files.items():
        p = os.path.join(workdir, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    ov = os.path.join(workdir, "overlay")
    k = subprocess.run(["kubectl", "kustomize", ov], capture_output=True, text=True)
    h = subprocess.run([args.hoist, "render", ov], capture_output=True, text=True)
    if (k.returncode == 0) != (h.returncode == 0):
        return "kubectl exit %d, hoist exit %d\n%s%s" % (k.returncode, h.returncode, k.stderr[-400:], h.stderr[-400:])
    if k.returncode == 0 and k.stdout != h.stdout:
        import difflib
        d = difflib.unified_diff(k.stdout.splitlines(True), h.stdout.splitlines(True), "kubectl", "hoist")
        return "output differs:\n" + "".join(list(d)[:60])
    return None


def shrink(args, files, workdir):
    """Drops overlay fields one at a time while the difference stays."""
    import re
    text = files["overlay/kustomization.yaml"]
    blocks = re.split(r'(?m)^(?=")', text)
    changed = True
    while changed:
        changed = False
        for i in range(len(blocks)):
            if blocks[i].startswith('"resources"'):
                continue
            trial = blocks[:i] + blocks[i + 1:]
            f2 = dict(files)
            f2["overlay/kustomization.yaml"] = "".join(trial) or "{}\n"
            shutil.rmtree(workdir, ignore_errors=True)
            if run_case(args, f2, workdir):
                blocks = trial
                files = f2
                changed = True
                break
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hoist")
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("HOIST_DIFF_SEED", "20261202")))
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if not shutil.which("kubectl"):
        print("# skip: kubectl not found")
        print("0 passed, 0 failed")
        return 0
    tmp = tempfile.mkdtemp(prefix="hoist-kdiff.")
    seeds = [args.seed * 100003 + i for i in range(args.cases)]
    failures = []

    def one(s):
        d = os.path.join(tmp, str(s))
        r = run_case(args, make_case(s), d)
        if not r:
            shutil.rmtree(d, ignore_errors=True)
        return s, r

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        for s, r in ex.map(one, seeds):
            if r:
                failures.append((s, r))
    # Known differences, each with its reason (kustomize-diff-known.txt: "SEED reason"):
    # reported and not counted as passed; a listed case that passes fails the run, so the
    # list only shrinks, as kustomize-gaps.txt does for the corpus.
    known = {}
    kf = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kustomize-diff-known.txt")
    if os.path.exists(kf):
        for line in open(kf):
            line = line.strip()
            if line and not line.startswith("#"):
                seed, _, why = line.partition(" ")
                known[int(seed)] = why
    failed_seeds = {s for s, _ in failures}
    stale = [s for s in known if s in seeds and s not in failed_seeds]
    for s in sorted(known):
        if s in failed_seeds:
            print("ok - case seed %d # SKIP known difference: %s" % (s, known[s]))
    failures = [(s, r) for s, r in failures if s not in known]
    for s in stale:
        failures.append((s, "listed in kustomize-diff-known.txt but passes now: remove it"))
    nknown = len([s for s in known if s in failed_seeds])
    print("# seed %d, %d cases" % (args.seed, args.cases))
    for s, r in failures[:int(os.environ.get("HOIST_DIFF_SHOW", "3"))]:
        if r.startswith("listed in"):
            print("not ok - case seed %d: %s" % (s, r))
            continue
        small = shrink(args, make_case(s), os.path.join(tmp, "shrink-%d" % s))
        print("not ok - case seed %d: %s" % (s, r.splitlines()[0]))
        print("# smallest differing case (case seed %d):" % s)
        for path, text in sorted(small.items()):
            print("# --- %s" % path)
            for line in text.splitlines():
                print("#   " + line)
        print("# " + "\n# ".join(r.splitlines()[:40]))
    shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (args.cases - len(failures) - nknown, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
