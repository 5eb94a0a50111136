package test

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8sjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
)

const manifestDir = "../deploy/kubernetes"

// manifests are the objects under deploy/kubernetes, in their real API
// types, and the files' raw text, whose comments carry a variant.
type manifests struct {
	objects []runtime.Object
	raw     map[string][]byte // by file name
}

// manifestDecoder is the API server's strict decoding: apiVersion and
// kind must name a registered type, and an unknown or duplicate field
// (case-sensitively, unlike encoding/json) is an error.
var manifestDecoder = func() runtime.Decoder {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		appsv1.AddToScheme, corev1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return k8sjson.NewSerializerWithOptions(k8sjson.DefaultMetaFactory, s, s, k8sjson.SerializerOptions{Yaml: true, Strict: true})
}()

func loadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", manifestDir, err)
	}
	m := manifests{raw: map[string][]byte{}}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m.raw[filepath.Base(f)] = raw
		if filepath.Base(f) == "kustomization.yaml" {
			continue // not an API object; kustomize reads it
		}
		docs := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
		for {
			doc, err := docs.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			obj, _, err := manifestDecoder.Decode(doc, nil, nil)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			m.objects = append(m.objects, obj)
		}
	}
	return m
}

// one returns the only object of type T, such as appsv1.Deployment.
func one[T any](t *testing.T, m manifests) *T {
	t.Helper()
	var found []*T
	for _, o := range m.objects {
		if v, ok := any(o).(*T); ok {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d manifests of type %T, want 1", len(found), new(T))
	}
	return found[0]
}
