#!/usr/bin/env python3
"""Writes N varied Kubernetes objects into DIR (100 per file) for benchmarks."""
import os
import sys

n = int(sys.argv[1])
out = sys.argv[2]
os.makedirs(out, exist_ok=True)

def deployment(i):
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: ns-{i % 20}
  labels: {{app: app-{i}, tier: "{'backend' if i % 2 else 'frontend'}", version: "1.{i % 7}"}}
  annotations:
    description: "Deployment number {i} of the benchmark set, with a description long enough to fold at eighty columns"
spec:
  replicas: {i % 5 + 1}
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      containers:
      - name: main
        image: registry.example.com/team/app-{i}:1.{i % 13}.{i % 3}
        args: ["--port=8080", "--verbose", "--name=app-{i}"]
        env:
        - {{name: MODE, value: "yes"}}
        - {{name: PORT, value: "8080"}}
        - {{name: RATIO, value: "0.5"}}
        ports:
        - {{containerPort: 8080, name: http}}
        resources:
          limits: {{cpu: 500m, memory: 256Mi}}
          requests: {{cpu: 100m, memory: 64Mi}}
"""

def service(i):
    return f"""apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: ns-{i % 20}
spec:
  selector: {{app: app-{i}}}
  ports:
  - {{name: http, port: 80, targetPort: http}}
"""

def configmap(i):
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg-{i}
  namespace: ns-{i % 20}
data:
  enabled: "true"
  count: "{i}"
  config.yaml: |
    server:
      port: 8080
      name: app-{i}
    features: [a, b, c]
"""

makers = [deployment, service, configmap]
docs = [makers[i % 3](i) for i in range(n)]
for f in range(0, n, 100):
    with open(os.path.join(out, f"objects-{f // 100:03d}.yaml"), "w") as fh:
        fh.write("---\n".join(docs[f:f + 100]))
with open(os.path.join(out, "kustomization.yaml.ref"), "w") as fh:
    fh.write("resources:\n" + "".join(f"- objects-{f // 100:03d}.yaml\n" for f in range(0, n, 100)))
