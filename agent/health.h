/*
 * health.h - is a live object healthy?  The rules of kstatus
 * (sigs.k8s.io/cli-utils/pkg/kstatus, as Flux's health checks use them):
 *
 *   any object     metadata.generation > status.observedGeneration: Progressing;
 *                  condition Stalled=True: Failed; Reconciling=True: Progressing;
 *                  Ready=False: Progressing (Degraded once its reason says it failed)
 *   Deployment     replicas, updatedReplicas, readyReplicas, availableReplicas
 *                  reach spec.replicas (default 1), no surplus old replicas, condition
 *                  Available not False; Progressing=False with
 *                  ProgressDeadlineExceeded: Failed
 *   StatefulSet    readyReplicas, currentReplicas (updatedReplicas with a partition)
 *                  reach spec.replicas; currentRevision == updateRevision (RollingUpdate)
 *   DaemonSet      currentNumberScheduled, updatedNumberScheduled, numberAvailable and
 *                  numberReady reach desiredNumberScheduled
 *   ReplicaSet     labeled, available and ready replicas reach spec.replicas;
 *                  ReplicaFailure=True: Degraded
 *   Job            Complete=True: Healthy; Failed=True: Failed; not started: Progressing;
 *                  started: Healthy (a running Job is current, as kstatus has it)
 *   PVC            status.phase Bound
 *   Pod            Succeeded, or Running with Ready=True; Failed: Failed; a container
 *                  waiting in CrashLoopBackOff or an image pull error: Degraded
 *   PDB            status.currentHealthy >= status.desiredHealthy
 *   CRD            Established=True; NamesAccepted=False: Failed
 *   Service        type LoadBalancer: status.loadBalancer.ingress not empty
 *
 * The reason names the object: "Deployment web/api: 1 of 3 replicas available".
 */
#ifndef HOIST_AGENT_HEALTH_H
#define HOIST_AGENT_HEALTH_H

#include "core/compat.h"
#include "agent/agent.h"

struct doc_node;
struct strbuf;

/* Judges one live object; `reason` gets a message naming it (empty when healthy). */
enum agent_health health_check(const struct doc_node *obj, struct strbuf *reason);

/*
 * Whether the kind has no rule of its own above, so that an object of it
 * without a `status` is Healthy (what a sync uses to skip parsing most
 * apply replies).
 */
bool health_by_status_only(const char *api_version, const char *kind);

/* The worse of two results (Failed > Degraded > Progressing > Healthy). */
enum agent_health health_worse(enum agent_health a, enum agent_health b);

#endif
