package main

import (
	"fmt"
	"regexp"
	"strings"
)

type nameRule int

const (
	nameSubdomain nameRule = iota
	nameLabel
	name1035
	namePathSegment
)

const (
	dns1123LabelFmt     = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
	dns1123SubdomainFmt = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"
	dns1035LabelFmt     = "[a-z]([-a-z0-9]*[a-z0-9])?"
	qualifiedNameFmt    = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
	labelValueFmt       = "(" + qualifiedNameFmt + ")?"
)

var (
	reLabel     = regexp.MustCompile("^" + dns1123LabelFmt + "$")
	reSubdomain = regexp.MustCompile("^" + dns1123SubdomainFmt + "$")
	re1035      = regexp.MustCompile("^" + dns1035LabelFmt + "$")
	reQualified = regexp.MustCompile("^" + qualifiedNameFmt + "$")
	reLabelVal  = regexp.MustCompile("^" + labelValueFmt + "$")
)

// The messages are the real validators' (k8s.io/apimachinery
// pkg/util/validation), since clients show them to users.
func checkName(rule nameRule, name string) []string {
	var msgs []string
	switch rule {
	case nameLabel:
		if len(name) > 63 {
			msgs = append(msgs, "must be no more than 63 characters")
		}
		if !reLabel.MatchString(name) {
			msgs = append(msgs, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '"+dns1123LabelFmt+"')")
		}
	case name1035:
		if len(name) > 63 {
			msgs = append(msgs, "must be no more than 63 characters")
		}
		if !re1035.MatchString(name) {
			msgs = append(msgs, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '"+dns1035LabelFmt+"')")
		}
	case namePathSegment:
		if name == "." || name == ".." {
			msgs = append(msgs, fmt.Sprintf("may not be '%s'", name))
		}
		for _, c := range []string{"/", "%"} {
			if strings.Contains(name, c) {
				msgs = append(msgs, fmt.Sprintf("may not contain '%s'", c))
			}
		}
	default:
		if len(name) > 253 {
			msgs = append(msgs, "must be no more than 253 characters")
		}
		if !reSubdomain.MatchString(name) {
			msgs = append(msgs, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '"+dns1123SubdomainFmt+"')")
		}
	}
	return msgs
}

func validateLabelKey(k string) string {
	name := k
	if i := strings.LastIndex(k, "/"); i >= 0 {
		prefix := k[:i]
		name = k[i+1:]
		if prefix == "" || len(prefix) > 253 || !reSubdomain.MatchString(prefix) {
			return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '" + dns1123SubdomainFmt + "')"
		}
	}
	if name == "" || len(name) > 63 || !reQualified.MatchString(name) {
		return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '" + qualifiedNameFmt + "')"
	}
	return ""
}

func validateLabelValue(v string) string {
	if len(v) > 63 {
		return "must be no more than 63 characters"
	}
	if !reLabelVal.MatchString(v) {
		return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '" + labelValueFmt + "')"
	}
	return ""
}

// validateObject is the part of the real validation a test meets: object
// metadata for every kind, and what the agent's inputs most often get
// wrong. live is nil on create.
func validateObject(t *resType, o, live obj) []fieldError {
	var errs []fieldError
	name := metaString(o, "name")
	if name == "" {
		errs = append(errs, requiredValue("metadata.name", "name or generateName is required"))
	} else if live == nil {
		for _, m := range checkName(t.NameRule, name) {
			errs = append(errs, invalidValue("metadata.name", name, m))
		}
	}
	if t.Namespaced && metaString(o, "namespace") == "" {
		errs = append(errs, requiredValue("metadata.namespace", ""))
	}
	for k, v := range stringMapAny(path(o, "metadata", "labels")) {
		if msg := validateLabelKey(k); msg != "" {
			errs = append(errs, invalidValue("metadata.labels", k, msg))
		}
		s, ok := v.(string)
		if !ok {
			errs = append(errs, invalidValue("metadata.labels", v, "must be a string"))
		} else if msg := validateLabelValue(s); msg != "" {
			errs = append(errs, invalidValue("metadata.labels", s, msg))
		}
	}
	annSize := 0
	for k, v := range stringMapAny(path(o, "metadata", "annotations")) {
		if msg := validateLabelKey(strings.ToLower(k)); msg != "" {
			errs = append(errs, invalidValue("metadata.annotations", k, msg))
		}
		vs, _ := v.(string)
		annSize += len(k) + len(vs)
	}
	if annSize > 256*1024 {
		errs = append(errs, fieldError{"FieldValueTooLong", "metadata.annotations", "Too long: must have at most 262144 bytes"})
	}
	if live != nil {
		if g, lg := path(o, "metadata", "uid"), path(live, "metadata", "uid"); g != nil && lg != nil && !equalValues(g, lg) {
			errs = append(errs, invalidValue("metadata.uid", g, "field is immutable"))
		}
	}
	if live != nil {
		errs = append(errs, validateImmutable(t, o, live)...)
	}
	switch t.Kind {
	case "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet":
		errs = append(errs, validateWorkload(t, o, live)...)
	case "ConfigMap", "Secret":
		size := 0
		for _, f := range []string{"data", "binaryData", "stringData"} {
			for k, v := range stringMapAny(o[f]) {
				vs, _ := v.(string)
				if t.Kind == "Secret" || f == "binaryData" {
					size += len(k) + len(vs)*3/4
				} else {
					size += len(k) + len(vs)
				}
				if !reConfigKey.MatchString(k) || len(k) > 253 {
					errs = append(errs, invalidValue(f+"["+k+"]", k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"))
				}
			}
		}
		// Both kinds are limited to 1 MiB of data (core.MaxSecretSize).
		if size > 1024*1024 {
			if t.Kind == "Secret" {
				errs = append(errs, fieldError{"FieldValueTooLong", "data", "Too long: must have at most 1048576 bytes"})
			} else {
				errs = append(errs, fieldError{"FieldValueTooLong", "[]", "Too long: must have at most 1048576 bytes"})
			}
		}
	case "CustomResourceDefinition":
		errs = append(errs, validateCRD(o, live)...)
	}
	return errs
}

var reConfigKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

func stringMapAny(v interface{}) map[string]interface{} {
	m, _ := v.(map[string]interface{})
	return m
}

func validateWorkload(t *resType, o, live obj) []fieldError {
	var errs []fieldError
	sel := path(o, "spec", "selector")
	if sel == nil {
		errs = append(errs, requiredValue("spec.selector", ""))
	} else {
		labels := stringMapAny(path(o, "spec", "template", "metadata", "labels"))
		ml := stringMapAny(path(o, "spec", "selector", "matchLabels"))
		ok := len(ml) > 0 || path(o, "spec", "selector", "matchExpressions") != nil
		for k, v := range ml {
			if labels[k] != v {
				ok = false
			}
		}
		if !ok {
			errs = append(errs, invalidValue("spec.template.metadata.labels", labels, "`selector` does not match template `labels`"))
		}
		if live != nil && !equalValues(sel, path(live, "spec", "selector")) {
			errs = append(errs, invalidValue("spec.selector", sel, "field is immutable"))
		}
	}
	containers, _ := path(o, "spec", "template", "spec", "containers").([]interface{})
	if len(containers) == 0 {
		errs = append(errs, requiredValue("spec.template.spec.containers", ""))
	}
	for i, c := range containers {
		cm, _ := c.(map[string]interface{})
		if n, _ := cm["name"].(string); n == "" {
			errs = append(errs, requiredValue(fmt.Sprintf("spec.template.spec.containers[%d].name", i), ""))
		}
		if im, _ := cm["image"].(string); im == "" {
			errs = append(errs, requiredValue(fmt.Sprintf("spec.template.spec.containers[%d].image", i), ""))
		}
	}
	if r, ok := path(o, "spec", "replicas").(int64); ok && r < 0 {
		errs = append(errs, invalidValue("spec.replicas", r, "must be greater than or equal to 0"))
	}
	return errs
}

// defaultObject sets the defaults of the real API that clients see and
// that health checks read (spec.replicas above all). Defaults are not
// owned by any manager, as with the real server.
func defaultObject(t *resType, o obj) {
	if t.CRD != "" {
		pruneUnknown(t, o)
		applyCRDefaults(o, t.schemaProps)
		return
	}
	switch t.Kind {
	case "Deployment":
		setDefault(o, int64(1), "spec", "replicas")
		setDefault(o, int64(10), "spec", "revisionHistoryLimit")
		setDefault(o, int64(600), "spec", "progressDeadlineSeconds")
		if path(o, "spec", "strategy", "type") == nil {
			setPath(o, "RollingUpdate", "spec", "strategy", "type")
		}
		if path(o, "spec", "strategy", "type") == "RollingUpdate" {
			setDefault(o, "25%", "spec", "strategy", "rollingUpdate", "maxSurge")
			setDefault(o, "25%", "spec", "strategy", "rollingUpdate", "maxUnavailable")
		}
		defaultPodTemplate(o, "spec", "template")
	case "StatefulSet":
		setDefault(o, int64(1), "spec", "replicas")
		setDefault(o, "OrderedReady", "spec", "podManagementPolicy")
		setDefault(o, int64(10), "spec", "revisionHistoryLimit")
		defaultPodTemplate(o, "spec", "template")
	case "ReplicaSet":
		setDefault(o, int64(1), "spec", "replicas")
		defaultPodTemplate(o, "spec", "template")
	case "DaemonSet":
		setDefault(o, int64(10), "spec", "revisionHistoryLimit")
		defaultPodTemplate(o, "spec", "template")
	case "Job":
		setDefault(o, int64(6), "spec", "backoffLimit")
		setDefault(o, int64(1), "spec", "completions")
		setDefault(o, int64(1), "spec", "parallelism")
		setDefault(o, "NonIndexed", "spec", "completionMode")
		setDefault(o, false, "spec", "suspend")
		defaultPodTemplate(o, "spec", "template")
	case "Namespace":
		// Every namespace carries its name as a label (set when defaulting).
		if n := metaString(o, "name"); n != "" {
			setPath(o, n, "metadata", "labels", "kubernetes.io/metadata.name")
		}
	case "Service":
		setDefault(o, "ClusterIP", "spec", "type")
		setDefault(o, "None", "spec", "sessionAffinity")
		if path(o, "spec", "type") != "ExternalName" {
			setDefault(o, "Cluster", "spec", "internalTrafficPolicy")
		}
		if ports, ok := path(o, "spec", "ports").([]interface{}); ok {
			for _, p := range ports {
				if pm, ok := p.(map[string]interface{}); ok {
					if pm["protocol"] == nil {
						pm["protocol"] = "TCP"
					}
					if pm["targetPort"] == nil && pm["port"] != nil {
						pm["targetPort"] = pm["port"]
					}
				}
			}
		}
	case "Secret":
		setDefault(o, "Opaque", "type")
		// stringData is write-only: merged into data, base64-encoded.
		if sd := stringMapAny(o["stringData"]); sd != nil {
			data := stringMapAny(o["data"])
			if data == nil {
				data = map[string]interface{}{}
			}
			for k, v := range sd {
				if s, ok := v.(string); ok {
					data[k] = b64(s)
				}
			}
			o["data"] = data
			delete(o, "stringData")
		}
	case "CustomResourceDefinition":
		defaultCRD(o)
	case "StorageClass":
		setDefault(o, "Delete", "reclaimPolicy")
		setDefault(o, "Immediate", "volumeBindingMode")
	}
}

func defaultPodTemplate(o obj, keys ...string) {
	spec := append(append([]string{}, keys...), "spec")
	setDefault(o, "Always", append(spec, "restartPolicy")...)
	setDefault(o, int64(30), append(spec, "terminationGracePeriodSeconds")...)
	setDefault(o, "ClusterFirst", append(spec, "dnsPolicy")...)
	setDefault(o, "default-scheduler", append(spec, "schedulerName")...)
	setDefault(o, map[string]interface{}{}, append(spec, "securityContext")...)
	for _, f := range []string{"containers", "initContainers"} {
		cs, _ := path(o, append(spec, f)...).([]interface{})
		for _, c := range cs {
			cm, ok := c.(map[string]interface{})
			if !ok {
				continue
			}
			if cm["terminationMessagePath"] == nil {
				cm["terminationMessagePath"] = "/dev/termination-log"
			}
			if cm["terminationMessagePolicy"] == nil {
				cm["terminationMessagePolicy"] = "File"
			}
			if cm["imagePullPolicy"] == nil {
				img, _ := cm["image"].(string)
				if strings.HasSuffix(img, ":latest") || (!strings.Contains(lastSegment(img), ":") && !strings.Contains(img, "@")) {
					cm["imagePullPolicy"] = "Always"
				} else {
					cm["imagePullPolicy"] = "IfNotPresent"
				}
			}
			if cm["resources"] == nil {
				cm["resources"] = map[string]interface{}{}
			}
			if ports, ok := cm["ports"].([]interface{}); ok {
				for _, p := range ports {
					if pm, ok := p.(map[string]interface{}); ok && pm["protocol"] == nil {
						pm["protocol"] = "TCP"
					}
				}
			}
		}
	}
}

func lastSegment(img string) string {
	if i := strings.LastIndex(img, "/"); i >= 0 {
		return img[i+1:]
	}
	return img
}

// validateImmutable: the updates real validation refuses, which a GitOps
// agent meets when a manifest changes what cannot change in place (Flux
// and Argo CD recreate such objects on request).
func validateImmutable(t *resType, o, live obj) []fieldError {
	var errs []fieldError
	immutable := func(field string, keys ...string) {
		if !equalValues(path(o, keys...), path(live, keys...)) {
			errs = append(errs, invalidValue(field, path(o, keys...), "field is immutable"))
		}
	}
	switch t.Kind {
	case "Job":
		immutable("spec.selector", "spec", "selector")
		immutable("spec.template", "spec", "template")
		immutable("spec.completionMode", "spec", "completionMode")
	case "StatefulSet":
		// Only these spec fields may change.
		allowed := map[string]bool{"replicas": true, "ordinals": true, "template": true, "updateStrategy": true,
			"persistentVolumeClaimRetentionPolicy": true, "minReadySeconds": true}
		ns, ls := stringMapAny(o["spec"]), stringMapAny(live["spec"])
		for _, m := range []map[string]interface{}{ns, ls} {
			for k := range m {
				if !allowed[k] && !equalValues(ns[k], ls[k]) {
					errs = append(errs, fieldError{"FieldValueForbidden", "spec", "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"})
					return errs
				}
			}
		}
	case "Service":
		if ip, _ := path(live, "spec", "clusterIP").(string); ip != "" && path(o, "spec", "clusterIP") != nil &&
			!equalValues(path(o, "spec", "clusterIP"), ip) {
			errs = append(errs, invalidValue("spec.clusterIPs[0]", path(o, "spec", "clusterIPs"), "may not change once set"))
		}
	case "PersistentVolumeClaim":
		ns, ls := copyObj(stringMapAny(o["spec"])), copyObj(stringMapAny(live["spec"]))
		for _, m := range []obj{ns, ls} {
			if m != nil {
				if r := stringMapAny(m["resources"]); r != nil {
					delete(r, "requests")
				}
				delete(m, "volumeAttributesClassName")
			}
		}
		if !equalValues(ns, ls) {
			errs = append(errs, fieldError{"FieldValueForbidden", "spec", "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"})
		}
	case "ConfigMap", "Secret":
		if im, _ := live["immutable"].(bool); im {
			for _, f := range []string{"data", "binaryData"} {
				if !equalValues(o[f], live[f]) {
					errs = append(errs, fieldError{"FieldValueForbidden", f, "Forbidden: field is immutable when `immutable` is set"})
				}
			}
			if im2, _ := o["immutable"].(bool); !im2 {
				errs = append(errs, fieldError{"FieldValueForbidden", "immutable", "Forbidden: field is immutable when `immutable` is set"})
			}
		}
	case "RoleBinding", "ClusterRoleBinding":
		immutable("roleRef", "roleRef")
	}
	return errs
}
