/*
 * Unit tests for the agent's health rules (agent/health.c).
 *
 * The fixtures are live objects as the Kubernetes API reference documents
 * their status fields (DeploymentStatus, StatefulSetStatus, DaemonSetStatus,
 * ReplicaSetStatus, JobStatus, PodStatus, PersistentVolumeClaimStatus,
 * PodDisruptionBudgetStatus, CustomResourceDefinitionStatus, ServiceStatus)
 * and the judgement kstatus documents for each situation; they were written
 * from those documents, not from this code's output.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "agent/health.h"
#include "model/doc.h"
#include "core/strbuf.h"

struct fixture {
	const char *name;
	enum agent_health want;
	const char *reason_has; /* a part of the reason, or NULL when healthy */
	const char *json;
};

static const struct fixture fixtures[] = {
	{ "deployment rolled out", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\",\"namespace\":\"web\",\"generation\":3},"
	  "\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":3,\"replicas\":3,\"updatedReplicas\":3,"
	  "\"readyReplicas\":3,\"availableReplicas\":3,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"},"
	  "{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}" },
	{ "deployment default of one replica, available", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"one\",\"namespace\":\"web\",\"generation\":1},"
	  "\"spec\":{},\"status\":{\"observedGeneration\":1,\"replicas\":1,\"updatedReplicas\":1,"
	  "\"readyReplicas\":1,\"availableReplicas\":1}}" },
	{ "deployment whose new generation is not observed", HEALTH_PROGRESSING, "Deployment web/api: generation 4",
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\",\"namespace\":\"web\",\"generation\":4},"
	  "\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":3,\"replicas\":3,\"updatedReplicas\":3,"
	  "\"readyReplicas\":3,\"availableReplicas\":3}}" },
	{ "deployment with no status yet", HEALTH_PROGRESSING, "Deployment web/api: 0 of 2 replicas",
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\",\"namespace\":\"web\",\"generation\":1},"
	  "\"spec\":{\"replicas\":2}}" },
	{ "deployment with pods not available", HEALTH_PROGRESSING, "1 of 3 replicas available",
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\",\"namespace\":\"web\",\"generation\":2},"
	  "\"spec\":{\"replicas\":3},\"status\":{\"observedGeneration\":2,\"replicas\":3,\"updatedReplicas\":3,"
	  "\"readyReplicas\":1,\"availableReplicas\":1,\"unavailableReplicas\":2}}" },
	{ "deployment mid-rollout with old replicas left", HEALTH_PROGRESSING, "pending termination",
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\",\"namespace\":\"web\",\"generation\":2},"
	  "\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":2,\"replicas\":3,\"updatedReplicas\":2,"
	  "\"readyReplicas\":3,\"availableReplicas\":3}}" },
	{ "deployment past its progress deadline", HEALTH_FAILED, "progress deadline exceeded",
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"api\",\"namespace\":\"web\",\"generation\":2},"
	  "\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":2,\"replicas\":2,\"updatedReplicas\":1,"
	  "\"readyReplicas\":1,\"availableReplicas\":1,\"conditions\":[{\"type\":\"Progressing\",\"status\":\"False\","
	  "\"reason\":\"ProgressDeadlineExceeded\",\"message\":\"ReplicaSet api-5d9 has timed out progressing.\"}]}}" },
	{ "statefulset ready and current", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"db\",\"namespace\":\"data\",\"generation\":1},"
	  "\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,\"replicas\":2,\"readyReplicas\":2,"
	  "\"currentReplicas\":2,\"updatedReplicas\":2,\"currentRevision\":\"db-7b\",\"updateRevision\":\"db-7b\"}}" },
	{ "statefulset rolling to a new revision", HEALTH_PROGRESSING, "StatefulSet data/db",
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"db\",\"namespace\":\"data\",\"generation\":2},"
	  "\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":2,\"replicas\":2,\"readyReplicas\":2,"
	  "\"currentReplicas\":1,\"updatedReplicas\":1,\"currentRevision\":\"db-7b\",\"updateRevision\":\"db-9c\"}}" },
	{ "daemonset on every node", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"agent\",\"namespace\":\"kube-system\",\"generation\":1},"
	  "\"status\":{\"observedGeneration\":1,\"desiredNumberScheduled\":3,\"currentNumberScheduled\":3,"
	  "\"updatedNumberScheduled\":3,\"numberAvailable\":3,\"numberReady\":3,\"numberMisscheduled\":0}}" },
	{ "daemonset with a node not ready", HEALTH_PROGRESSING, "2 of 3 pods available",
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"agent\",\"namespace\":\"kube-system\",\"generation\":1},"
	  "\"status\":{\"observedGeneration\":1,\"desiredNumberScheduled\":3,\"currentNumberScheduled\":3,"
	  "\"updatedNumberScheduled\":3,\"numberAvailable\":2,\"numberReady\":2}}" },
	{ "replicaset short of replicas", HEALTH_PROGRESSING, "ReplicaSet web/api-5d9",
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"api-5d9\",\"namespace\":\"web\",\"generation\":1},"
	  "\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,\"replicas\":1,\"fullyLabeledReplicas\":1,"
	  "\"readyReplicas\":1,\"availableReplicas\":1}}" },
	{ "replicaset that cannot create pods", HEALTH_DEGRADED, "replica failure",
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"api-5d9\",\"namespace\":\"web\",\"generation\":1},"
	  "\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":1,\"replicas\":0,\"conditions\":[{\"type\":"
	  "\"ReplicaFailure\",\"status\":\"True\",\"reason\":\"FailedCreate\",\"message\":\"pods \\\"api-5d9-x\\\" is forbidden: exceeded quota\"}]}}" },
	{ "job complete", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"migrate\",\"namespace\":\"web\"},"
	  "\"spec\":{\"completions\":1},\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"succeeded\":1,"
	  "\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}}" },
	{ "job failed", HEALTH_FAILED, "Job web/migrate: job failed: Job has reached the specified backoff limit",
	  "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"migrate\",\"namespace\":\"web\"},"
	  "\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"failed\":6,\"conditions\":[{\"type\":\"Failed\","
	  "\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\",\"message\":\"Job has reached the specified backoff limit\"}]}}" },
	{ "job not started", HEALTH_PROGRESSING, "job not started",
	  "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"migrate\",\"namespace\":\"web\"},\"status\":{}}" },
	{ "job running is current, as kstatus has it", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"migrate\",\"namespace\":\"web\"},"
	  "\"status\":{\"startTime\":\"2026-01-01T00:00:00Z\",\"active\":1}}" },
	{ "pvc bound", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"data\",\"namespace\":\"db\"},"
	  "\"status\":{\"phase\":\"Bound\",\"capacity\":{\"storage\":\"1Gi\"}}}" },
	{ "pvc pending", HEALTH_PROGRESSING, "PersistentVolumeClaim db/data: claim Pending",
	  "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"data\",\"namespace\":\"db\"},"
	  "\"status\":{\"phase\":\"Pending\"}}" },
	{ "pod running and ready", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"web\"},"
	  "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}" },
	{ "pod in a crash loop", HEALTH_DEGRADED, "container app: CrashLoopBackOff",
	  "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"web\"},"
	  "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}],"
	  "\"containerStatuses\":[{\"name\":\"app\",\"ready\":false,\"restartCount\":5,"
	  "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}}" },
	{ "pod failed", HEALTH_FAILED, "pod failed",
	  "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"web\"},"
	  "\"status\":{\"phase\":\"Failed\",\"message\":\"OOMKilled\"}}" },
	{ "pdb satisfied", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"b\",\"namespace\":\"web\",\"generation\":1},"
	  "\"status\":{\"observedGeneration\":1,\"currentHealthy\":3,\"desiredHealthy\":2,\"expectedPods\":3,\"disruptionsAllowed\":1}}" },
	{ "pdb not met", HEALTH_PROGRESSING, "budget not met: 1 of 2",
	  "{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":{\"name\":\"b\",\"namespace\":\"web\",\"generation\":1},"
	  "\"status\":{\"observedGeneration\":1,\"currentHealthy\":1,\"desiredHealthy\":2,\"expectedPods\":3,\"disruptionsAllowed\":0}}" },
	{ "crd established", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"widgets.example.com\"},"
	  "\"status\":{\"conditions\":[{\"type\":\"NamesAccepted\",\"status\":\"True\"},{\"type\":\"Established\",\"status\":\"True\"}]}}" },
	{ "crd not established yet", HEALTH_PROGRESSING, "CustomResourceDefinition widgets.example.com: not established",
	  "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"widgets.example.com\"},"
	  "\"status\":{\"conditions\":[{\"type\":\"NamesAccepted\",\"status\":\"True\"}]}}" },
	{ "crd whose names clash", HEALTH_FAILED, "names not accepted",
	  "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"widgets.example.com\"},"
	  "\"status\":{\"conditions\":[{\"type\":\"NamesAccepted\",\"status\":\"False\",\"message\":\"\\\"widgets\\\" is already in use\"}]}}" },
	{ "load balancer without an address", HEALTH_PROGRESSING, "Service web/lb: load balancer",
	  "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"lb\",\"namespace\":\"web\"},"
	  "\"spec\":{\"type\":\"LoadBalancer\"},\"status\":{\"loadBalancer\":{}}}" },
	{ "load balancer with an address", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"lb\",\"namespace\":\"web\"},"
	  "\"spec\":{\"type\":\"LoadBalancer\"},\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"192.0.2.1\"}]}}}" },
	{ "cluster IP service is healthy at once", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"svc\",\"namespace\":\"web\"},"
	  "\"spec\":{\"type\":\"ClusterIP\"},\"status\":{\"loadBalancer\":{}}}" },
	{ "configmap is healthy once it exists", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"namespace\":\"web\"},\"data\":{\"a\":\"b\"}}" },
	{ "custom resource stalled", HEALTH_FAILED, "Widget web/w: stalled: cannot reach backend",
	  "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w\",\"namespace\":\"web\",\"generation\":1},"
	  "\"status\":{\"observedGeneration\":1,\"conditions\":[{\"type\":\"Stalled\",\"status\":\"True\",\"reason\":\"Unreachable\","
	  "\"message\":\"cannot reach backend\"}]}}" },
	{ "custom resource reconciling", HEALTH_PROGRESSING, "reconciling",
	  "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w\",\"namespace\":\"web\",\"generation\":1},"
	  "\"status\":{\"observedGeneration\":1,\"conditions\":[{\"type\":\"Reconciling\",\"status\":\"True\",\"message\":\"creating\"}]}}" },
	{ "custom resource not ready", HEALTH_PROGRESSING, "not ready: waiting for dependencies",
	  "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w\",\"namespace\":\"web\",\"generation\":2},"
	  "\"status\":{\"observedGeneration\":2,\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"DependencyNotReady\","
	  "\"message\":\"waiting for dependencies\"}]}}" },
	{ "custom resource ready", HEALTH_HEALTHY, NULL,
	  "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w\",\"namespace\":\"web\",\"generation\":2},"
	  "\"status\":{\"observedGeneration\":2,\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}" },
};

static void health_rules_judge_documented_fixtures(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *f = &fixtures[i];
		struct doc_stream *s = NULL;
		struct strbuf reason = STRBUF_INIT;
		enum agent_health h;

		assert_int_equal(doc_parse(&s, f->json, strlen(f->json), f->name, NULL), 0);
		h = health_check(s->docs[0], &reason);
		if (h != f->want || (f->reason_has && !strstr(reason.buf, f->reason_has)) ||
		    (!f->reason_has && reason.len)) {
			print_error("%s: got %s (%s), want %s (%s)\n", f->name, agent_health_name(h),
				    reason.buf, agent_health_name(f->want),
				    f->reason_has ? f->reason_has : "");
			fail();
		}
		strbuf_release(&reason);
		doc_stream_free(s);
	}
}

static void health_worse_orders_results(void **state)
{
	assert_int_equal(health_worse(HEALTH_HEALTHY, HEALTH_PROGRESSING), HEALTH_PROGRESSING);
	assert_int_equal(health_worse(HEALTH_FAILED, HEALTH_DEGRADED), HEALTH_FAILED);
	assert_int_equal(health_worse(HEALTH_DEGRADED, HEALTH_PROGRESSING), HEALTH_DEGRADED);
	assert_int_equal(health_worse(HEALTH_HEALTHY, HEALTH_HEALTHY), HEALTH_HEALTHY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(health_rules_judge_documented_fixtures),
		cmocka_unit_test(health_worse_orders_results),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
