package test

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// What `kubectl apply -k deploy/kubernetes` applies: every manifest but
// the Secret example, which would replace the real key with its
// placeholder.
func TestKustomizeBuildsEveryManifestButTheSecretExample(t *testing.T) {
	m := loadManifests(t)
	built, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), manifestDir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", manifestDir, err)
	}
	var got, want []string
	for _, r := range built.Resources() {
		got = append(got, r.GetKind()+"/"+r.GetName())
	}
	for _, o := range m.objects {
		if _, example := o.(*corev1.Secret); !example {
			name, _ := meta.NewAccessor().Name(o)
			want = append(want, o.GetObjectKind().GroupVersionKind().Kind+"/"+name)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("kustomize build = %v, want %v", got, want)
	}
	for k, v := range one[corev1.Secret](t, m).StringData {
		if !strings.HasPrefix(v, "<") || !strings.HasSuffix(v, ">") {
			t.Errorf("secret example %s = %q: want a <placeholder>, never a real value", k, v)
		}
	}
}
