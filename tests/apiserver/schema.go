package main

import (
	"fmt"
	"sync"

	"sigs.k8s.io/structured-merge-diff/v4/typed"
)

// builtinSchema is the structured-merge-diff schema of the built-in kinds.
//
// It states what server-side apply needs to merge and track fields as the
// real server does: which lists are associative (and by which keys: the
// x-kubernetes-list-map-keys of the Kubernetes OpenAPI), which lists are
// sets, which maps are atomic (LabelSelector, Service selectors). Every
// struct also takes any other field through __untyped_deduced_, which
// matches the real schema's defaults for what is not listed here: maps are
// granular, lists atomic. Scalar fields are left untyped; the real server
// rejects a wrong scalar type when decoding, this one stores it.
const builtinSchema = `types:
- name: __untyped_atomic_
  scalar: untyped
  list:
    elementType: {namedType: __untyped_atomic_}
    elementRelationship: atomic
  map:
    elementType: {namedType: __untyped_atomic_}
    elementRelationship: atomic
- name: __untyped_deduced_
  scalar: untyped
  list:
    elementType: {namedType: __untyped_atomic_}
    elementRelationship: atomic
  map:
    elementType: {namedType: __untyped_deduced_}
    elementRelationship: separable
- name: string-map
  map:
    elementType: {scalar: string}
- name: objectmeta
  map:
    fields:
    - name: labels
      type: {namedType: string-map}
    - name: annotations
      type: {namedType: string-map}
    - name: finalizers
      type:
        list:
          elementType: {scalar: string}
          elementRelationship: associative
    - name: ownerReferences
      type:
        list:
          elementType: {namedType: __untyped_deduced_}
          elementRelationship: associative
          keys: [uid]
    - name: managedFields
      type: {namedType: __untyped_atomic_}
    elementType: {namedType: __untyped_deduced_}
- name: object
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    elementType: {namedType: __untyped_deduced_}
- name: conditions-status
  map:
    fields:
    - name: conditions
      type: {namedType: conditions}
    elementType: {namedType: __untyped_deduced_}
- name: conditions
  list:
    elementType: {namedType: __untyped_deduced_}
    elementRelationship: associative
    keys: [type]
- name: object-with-conditions
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: status
      type: {namedType: conditions-status}
    elementType: {namedType: __untyped_deduced_}
- name: containerport
  map:
    fields:
    - name: containerPort
      type: {scalar: numeric}
    - name: protocol
      type: {scalar: string}
      default: TCP
    elementType: {namedType: __untyped_deduced_}
- name: resourcerequirements
  map:
    fields:
    - name: claims
      type: {namedType: list-by-name}
    elementType: {namedType: __untyped_deduced_}
- name: list-by-name
  list:
    elementType: {namedType: __untyped_deduced_}
    elementRelationship: associative
    keys: [name]
- name: container
  map:
    fields:
    - name: name
      type: {scalar: string}
    - name: ports
      type:
        list:
          elementType: {namedType: containerport}
          elementRelationship: associative
          keys: [containerPort, protocol]
    - name: env
      type: {namedType: list-by-name}
    - name: volumeMounts
      type:
        list:
          elementType: {namedType: __untyped_deduced_}
          elementRelationship: associative
          keys: [mountPath]
    - name: volumeDevices
      type:
        list:
          elementType: {namedType: __untyped_deduced_}
          elementRelationship: associative
          keys: [devicePath]
    - name: resizePolicy
      type:
        list:
          elementType: {namedType: __untyped_deduced_}
          elementRelationship: associative
          keys: [resourceName]
    - name: resources
      type: {namedType: resourcerequirements}
    elementType: {namedType: __untyped_deduced_}
- name: containers
  list:
    elementType: {namedType: container}
    elementRelationship: associative
    keys: [name]
- name: podspec
  map:
    fields:
    - name: containers
      type: {namedType: containers}
    - name: initContainers
      type: {namedType: containers}
    - name: ephemeralContainers
      type: {namedType: containers}
    - name: volumes
      type: {namedType: list-by-name}
    - name: imagePullSecrets
      type: {namedType: list-by-name}
    - name: resourceClaims
      type: {namedType: list-by-name}
    - name: schedulingGates
      type: {namedType: list-by-name}
    - name: hostAliases
      type:
        list:
          elementType: {namedType: __untyped_deduced_}
          elementRelationship: associative
          keys: [ip]
    - name: topologySpreadConstraints
      type:
        list:
          elementType: {namedType: __untyped_deduced_}
          elementRelationship: associative
          keys: [topologyKey, whenUnsatisfiable]
    elementType: {namedType: __untyped_deduced_}
- name: podtemplatespec
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: spec
      type: {namedType: podspec}
    elementType: {namedType: __untyped_deduced_}
- name: workloadspec
  map:
    fields:
    - name: selector
      type: {namedType: __untyped_atomic_}
    - name: template
      type: {namedType: podtemplatespec}
    elementType: {namedType: __untyped_deduced_}
- name: workload
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: spec
      type: {namedType: workloadspec}
    - name: status
      type: {namedType: conditions-status}
    elementType: {namedType: __untyped_deduced_}
- name: job
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: spec
      type: {namedType: workloadspec}
    elementType: {namedType: __untyped_deduced_}
- name: jobtemplatespec
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: spec
      type: {namedType: workloadspec}
    elementType: {namedType: __untyped_deduced_}
- name: cronjob
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: spec
      type:
        map:
          fields:
          - name: jobTemplate
            type: {namedType: jobtemplatespec}
          elementType: {namedType: __untyped_deduced_}
    elementType: {namedType: __untyped_deduced_}
- name: pod
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: spec
      type: {namedType: podspec}
    - name: status
      type: {namedType: conditions-status}
    elementType: {namedType: __untyped_deduced_}
- name: service
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: spec
      type:
        map:
          fields:
          - name: selector
            type: {namedType: __untyped_atomic_}
          - name: ports
            type:
              list:
                elementType: {namedType: serviceport}
                elementRelationship: associative
                keys: [port, protocol]
          elementType: {namedType: __untyped_deduced_}
    - name: status
      type: {namedType: conditions-status}
    elementType: {namedType: __untyped_deduced_}
- name: serviceport
  map:
    fields:
    - name: port
      type: {scalar: numeric}
    - name: protocol
      type: {scalar: string}
      default: TCP
    elementType: {namedType: __untyped_deduced_}
- name: selector-spec
  map:
    fields:
    - name: selector
      type: {namedType: __untyped_atomic_}
    - name: podSelector
      type: {namedType: __untyped_atomic_}
    elementType: {namedType: __untyped_deduced_}
- name: with-selector
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: spec
      type: {namedType: selector-spec}
    - name: status
      type: {namedType: conditions-status}
    elementType: {namedType: __untyped_deduced_}
- name: serviceaccount
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: secrets
      type: {namedType: list-by-name}
    elementType: {namedType: __untyped_deduced_}
- name: webhookconfiguration
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: webhooks
      type: {namedType: list-by-name}
    elementType: {namedType: __untyped_deduced_}
- name: configmap
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: data
      type: {namedType: string-map}
    - name: binaryData
      type: {namedType: string-map}
    - name: stringData
      type: {namedType: string-map}
    elementType: {namedType: __untyped_deduced_}
- name: node
  map:
    fields:
    - name: metadata
      type: {namedType: objectmeta}
    - name: status
      type:
        map:
          fields:
          - name: conditions
            type: {namedType: conditions}
          - name: addresses
            type: {namedType: conditions}
          elementType: {namedType: __untyped_deduced_}
    elementType: {namedType: __untyped_deduced_}
`

// smdTypeFor names the schema type of a built-in resource.
func smdTypeFor(t *resType) string {
	switch t.Kind {
	case "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet":
		return "workload"
	case "Job":
		return "job"
	case "CronJob":
		return "cronjob"
	case "Pod":
		return "pod"
	case "Service":
		return "service"
	case "PodDisruptionBudget", "PersistentVolumeClaim", "NetworkPolicy":
		return "with-selector"
	case "ServiceAccount":
		return "serviceaccount"
	case "Node":
		return "node"
	case "ConfigMap", "Secret":
		return "configmap"
	case "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
		return "webhookconfiguration"
	case "Namespace", "HorizontalPodAutoscaler", "CustomResourceDefinition", "PersistentVolume":
		return "object-with-conditions"
	}
	return "object"
}

// parserRef holds a parsed schema and the type objects are read as.
type parserRef struct {
	parser *typed.Parser
	name   string
}

func (p *parserRef) Type() typed.ParseableType {
	if p == nil {
		return typed.DeducedParseableType
	}
	return p.parser.Type(p.name)
}

var (
	builtinParserOnce sync.Once
	builtinParser     *typed.Parser
)

func builtinParserRef(name string) *parserRef {
	builtinParserOnce.Do(func() {
		p, err := typed.NewParser(typed.YAMLObject(builtinSchema))
		if err != nil {
			panic(fmt.Sprintf("built-in schema: %v", err))
		}
		builtinParser = p
	})
	return &parserRef{parser: builtinParser, name: name}
}
