package main

import (
	"sort"
	"strings"
)

// resType is one served resource in one group version: what discovery
// shows and how requests for it behave.
type resType struct {
	Group, Version, Resource, Kind, Singular string
	Namespaced                               bool
	ShortNames, Categories                   []string
	// Status: has a /status subresource; writes to the main resource then
	// keep status, writes to /status keep everything else.
	Status bool
	// Generation: metadata.generation is kept (1 on create, +1 on each
	// change outside metadata and status), as the type's registry strategy
	// does; ConfigMaps, Secrets, Services, Namespaces... have none.
	Generation bool
	// SMDType: the type name in the built-in schema; "" deduces the
	// type from the object (what the real server does for CRDs without a
	// structural schema and for x-kubernetes-preserve-unknown-fields).
	SMDType string
	// CRD: the name of the CustomResourceDefinition serving this type.
	CRD string
	// StorageVersion: for CRDs, the version objects are stored in.
	StorageVersion string
	// crdSchema: per-CRD-version smd parser (nil: deduced).
	parser *parserRef
	// NameRule validates metadata.name.
	NameRule nameRule
	// schemaProps: a CRD version's openAPIV3Schema, for pruning and
	// defaults.
	schemaProps map[string]interface{}
}

func (t *resType) GV() string {
	if t.Group == "" {
		return t.Version
	}
	return t.Group + "/" + t.Version
}

// GR is the group-qualified resource as Status messages print it:
// "configmaps", "deployments.apps".
func (t *resType) GR() string {
	if t.Group == "" {
		return t.Resource
	}
	return t.Resource + "." + t.Group
}

// GK is the group-qualified kind as Invalid messages print it.
func (t *resType) GK() string {
	if t.Group == "" {
		return t.Kind
	}
	return t.Kind + "." + t.Group
}

// storeKey identifies a resource independent of version: objects are
// shared between versions of a group.
func (t *resType) storeKey() string { return t.Group + "/" + t.Resource }

var allVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// builtinTypes are the kinds hoist-agent meets, with their real scope,
// short names, categories, subresources and whether they keep a
// generation.
func builtinTypes() []*resType {
	t := func(group, version, resource, kind string, namespaced bool, flags string, short ...string) *resType {
		r := &resType{Group: group, Version: version, Resource: resource, Kind: kind,
			Singular: strings.ToLower(kind), Namespaced: namespaced, ShortNames: short,
			NameRule: nameSubdomain}
		for _, f := range strings.Fields(flags) {
			switch f {
			case "status":
				r.Status = true
			case "gen":
				r.Generation = true
			case "all":
				r.Categories = []string{"all"}
			case "label":
				r.NameRule = nameLabel
			case "dns1035":
				r.NameRule = name1035
			case "path":
				r.NameRule = namePathSegment
			}
		}
		return r
	}
	types := []*resType{
		t("", "v1", "namespaces", "Namespace", false, "status label", "ns"),
		t("", "v1", "configmaps", "ConfigMap", true, "", "cm"),
		t("", "v1", "secrets", "Secret", true, ""),
		t("", "v1", "services", "Service", true, "status all dns1035", "svc"),
		t("", "v1", "serviceaccounts", "ServiceAccount", true, "", "sa"),
		t("", "v1", "pods", "Pod", true, "status all", "po"),
		t("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, "status", "pvc"),
		t("", "v1", "persistentvolumes", "PersistentVolume", false, "status", "pv"),
		t("", "v1", "events", "Event", true, "", "ev"),
		t("", "v1", "endpoints", "Endpoints", true, "", "ep"),
		t("", "v1", "limitranges", "LimitRange", true, "", "limits"),
		t("", "v1", "resourcequotas", "ResourceQuota", true, "status", "quota"),
		t("", "v1", "nodes", "Node", false, "status", "no"),
		t("apps", "v1", "deployments", "Deployment", true, "status gen all", "deploy"),
		t("apps", "v1", "statefulsets", "StatefulSet", true, "status gen all", "sts"),
		t("apps", "v1", "daemonsets", "DaemonSet", true, "status gen all", "ds"),
		t("apps", "v1", "replicasets", "ReplicaSet", true, "status gen all", "rs"),
		t("batch", "v1", "jobs", "Job", true, "status gen all"),
		t("batch", "v1", "cronjobs", "CronJob", true, "status gen all", "cj"),
		t("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, "status gen all", "hpa"),
		t("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, "status gen", "pdb"),
		t("rbac.authorization.k8s.io", "v1", "roles", "Role", true, "path"),
		t("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, "path"),
		t("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, "path"),
		t("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, "path"),
		t("networking.k8s.io", "v1", "ingresses", "Ingress", true, "status gen", "ing"),
		t("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, "gen"),
		t("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, "gen", "netpol"),
		t("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, "", "sc"),
		t("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, "", "pc"),
		t("coordination.k8s.io", "v1", "leases", "Lease", true, ""),
		t("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, "gen"),
		t("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, "gen"),
		t("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, "status gen", "crd", "crds"),
	}
	for _, r := range types {
		r.SMDType = smdTypeFor(r)
	}
	return types
}

// groupOrder is the order /apis lists groups in: the real server orders
// by priority (legacy first, then the built-in groups), CRD groups after.
var groupOrder = []string{"", "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io",
	"authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io", "policy",
	"rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io",
	"scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io", "flowcontrol.apiserver.k8s.io"}

func groupRank(g string) int {
	for i, x := range groupOrder {
		if x == g {
			return i
		}
	}
	return len(groupOrder)
}

// sortedGroups returns the group names of types in discovery order: the
// built-in groups by priority, then CRD groups by name.
func sortedGroups(types []*resType) []string {
	seen := map[string]bool{}
	var groups []string
	for _, t := range types {
		if !seen[t.Group] {
			seen[t.Group] = true
			groups = append(groups, t.Group)
		}
	}
	sort.SliceStable(groups, func(i, j int) bool {
		ri, rj := groupRank(groups[i]), groupRank(groups[j])
		if ri != rj {
			return ri < rj
		}
		return groups[i] < groups[j]
	})
	return groups
}
