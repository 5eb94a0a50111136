package test

import (
	"slices"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// The Redis overlay is the base plus a Redis, and points the service at
// it; the base itself has none (one replica needs no Redis).
func TestKustomizeRedisOverlayAddsRedisAndPointsAtIt(t *testing.T) {
	built, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), "../deploy/overlays/redis")
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	var kinds []string
	for _, r := range built.Resources() {
		kinds = append(kinds, r.GetKind()+"/"+r.GetName())
		if r.GetKind() == "ConfigMap" && r.GetName() == "aoai-api-config" {
			if got := r.GetDataMap()["REDIS_URL"]; got != "redis://aoai-api-redis:6379" {
				t.Errorf("REDIS_URL = %q", got)
			}
		}
	}
	for _, want := range []string{"Deployment/aoai-api-redis", "Service/aoai-api-redis", "Deployment/aoai-api"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("overlay lacks %s: %v", want, kinds)
		}
	}
	base, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), manifestDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range base.Resources() {
		if r.GetName() == "aoai-api-redis" {
			t.Errorf("the base must not hold Redis: %s", r.GetKind())
		}
	}
}
