package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"
)

// kubectl's typed commands (`kubectl create configmap|secret|namespace|
// serviceaccount`, `kubectl delete`) send Kubernetes protobuf bodies:
// "k8s\x00" then a runtime.Unknown holding the type and the object's
// message. This reads those few messages into the JSON form the rest of
// the server works on, by field number as in k8s.io/api's generated.proto.
// Other kinds in protobuf get 415.

type pbKind int

const (
	pbString pbKind = iota
	pbInt
	pbBool
	pbBytes   // JSON: base64 string
	pbMsg     // nested message
	pbMapSS   // map<string,string>
	pbMapSB   // map<string,bytes>
	pbTime    // metav1.Time
	pbStrList // repeated string
	pbMsgList // repeated message
)

type pbField struct {
	name string
	kind pbKind
	msg  map[int]pbField
}

var pbObjectMeta = map[int]pbField{
	1:  {"name", pbString, nil},
	2:  {"generateName", pbString, nil},
	3:  {"namespace", pbString, nil},
	5:  {"uid", pbString, nil},
	6:  {"resourceVersion", pbString, nil},
	7:  {"generation", pbInt, nil},
	11: {"labels", pbMapSS, nil},
	12: {"annotations", pbMapSS, nil},
	13: {"ownerReferences", pbMsgList, map[int]pbField{
		1: {"kind", pbString, nil}, 3: {"name", pbString, nil}, 4: {"uid", pbString, nil},
		5: {"apiVersion", pbString, nil}, 6: {"controller", pbBool, nil}, 7: {"blockOwnerDeletion", pbBool, nil},
	}},
	14: {"finalizers", pbStrList, nil},
}

var pbTypes = map[string]map[int]pbField{
	"v1/ConfigMap": {
		1: {"metadata", pbMsg, pbObjectMeta},
		2: {"data", pbMapSS, nil},
		3: {"binaryData", pbMapSB, nil},
		4: {"immutable", pbBool, nil},
	},
	"v1/Secret": {
		1: {"metadata", pbMsg, pbObjectMeta},
		2: {"data", pbMapSB, nil},
		3: {"type", pbString, nil},
		4: {"stringData", pbMapSS, nil},
		5: {"immutable", pbBool, nil},
	},
	"v1/Namespace": {
		1: {"metadata", pbMsg, pbObjectMeta},
		2: {"spec", pbMsg, map[int]pbField{1: {"finalizers", pbStrList, nil}}},
	},
	"v1/ServiceAccount": {
		1: {"metadata", pbMsg, pbObjectMeta},
		3: {"imagePullSecrets", pbMsgList, map[int]pbField{1: {"name", pbString, nil}}},
		4: {"automountServiceAccountToken", pbBool, nil},
	},
	"v1/DeleteOptions": {
		1: {"gracePeriodSeconds", pbInt, nil},
		2: {"preconditions", pbMsg, map[int]pbField{1: {"uid", pbString, nil}, 2: {"resourceVersion", pbString, nil}}},
		3: {"orphanDependents", pbBool, nil},
		4: {"propagationPolicy", pbString, nil},
		5: {"dryRun", pbStrList, nil},
	},
}

// decodeProtobuf reads a Kubernetes protobuf body into an object.
func decodeProtobuf(b []byte) (obj, error) {
	if len(b) < 4 || string(b[:4]) != "k8s\x00" {
		return nil, fmt.Errorf("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]")
	}
	unk, err := pbDecode(b[4:], map[int]pbField{
		1: {"typeMeta", pbMsg, map[int]pbField{1: {"apiVersion", pbString, nil}, 2: {"kind", pbString, nil}}},
		2: {"raw", pbBytes, nil},
	})
	if err != nil {
		return nil, err
	}
	av, _ := path(unk, "typeMeta", "apiVersion").(string)
	kind, _ := path(unk, "typeMeta", "kind").(string)
	spec, ok := pbTypes[av+"/"+kind]
	if !ok {
		return nil, fmt.Errorf("no protobuf decoding here for %s, Kind=%s", av, kind)
	}
	rawB64, _ := unk["raw"].(string)
	raw, _ := base64.StdEncoding.DecodeString(rawB64)
	o, err := pbDecode(raw, spec)
	if err != nil {
		return nil, err
	}
	o["apiVersion"] = av
	o["kind"] = kind
	return o, nil
}

func pbVarint(b []byte) (uint64, int, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, 0, fmt.Errorf("bad protobuf varint")
	}
	return v, n, nil
}

func pbDecode(b []byte, spec map[int]pbField) (obj, error) {
	out := obj{}
	for len(b) > 0 {
		key, n, err := pbVarint(b)
		if err != nil {
			return nil, err
		}
		b = b[n:]
		num, wt := int(key>>3), key&7
		var val []byte
		var iv uint64
		switch wt {
		case 0:
			iv, n, err = pbVarint(b)
			if err != nil {
				return nil, err
			}
			b = b[n:]
		case 2:
			l, n, err := pbVarint(b)
			if err != nil || uint64(len(b)-n) < l {
				return nil, fmt.Errorf("bad protobuf length")
			}
			val = b[n : n+int(l)]
			b = b[n+int(l):]
		case 1:
			if len(b) < 8 {
				return nil, fmt.Errorf("short protobuf fixed64")
			}
			b = b[8:]
			continue
		case 5:
			if len(b) < 4 {
				return nil, fmt.Errorf("short protobuf fixed32")
			}
			b = b[4:]
			continue
		default:
			return nil, fmt.Errorf("unsupported protobuf wire type %d", wt)
		}
		f, known := spec[num]
		if !known {
			continue
		}
		// gogo protobuf writes every non-pointer field; their zero values
		// are what JSON's omitempty leaves out.
		if (f.kind == pbString && len(val) == 0) || (f.kind == pbInt && iv == 0) {
			continue
		}
		switch f.kind {
		case pbString:
			out[f.name] = string(val)
		case pbBytes:
			out[f.name] = base64.StdEncoding.EncodeToString(val)
		case pbInt:
			out[f.name] = int64(iv)
		case pbBool:
			out[f.name] = iv != 0
		case pbMsg:
			m, err := pbDecode(val, f.msg)
			if err != nil {
				return nil, err
			}
			out[f.name] = m
		case pbMsgList:
			m, err := pbDecode(val, f.msg)
			if err != nil {
				return nil, err
			}
			l, _ := out[f.name].([]interface{})
			out[f.name] = append(l, m)
		case pbStrList:
			l, _ := out[f.name].([]interface{})
			out[f.name] = append(l, string(val))
		case pbMapSS, pbMapSB:
			kind := pbString
			if f.kind == pbMapSB {
				kind = pbBytes
			}
			e, err := pbDecode(val, map[int]pbField{1: {"k", pbString, nil}, 2: {"v", kind, nil}})
			if err != nil {
				return nil, err
			}
			m, _ := out[f.name].(map[string]interface{})
			if m == nil {
				m = map[string]interface{}{}
				out[f.name] = m
			}
			k, _ := e["k"].(string)
			v, has := e["v"]
			if !has {
				v = ""
			}
			m[k] = v
		case pbTime:
			t, err := pbDecode(val, map[int]pbField{1: {"s", pbInt, nil}})
			if err != nil {
				return nil, err
			}
			s, _ := t["s"].(int64)
			out[f.name] = time.Unix(s, 0).UTC().Format(time.RFC3339)
		}
	}
	return out, nil
}
