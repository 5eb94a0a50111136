package test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

const manifestDir = "../deploy/kubernetes"

// The manifest types hold only the fields the checks read.
type (
	objectMeta struct {
		Name        string            `yaml:"name"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	}
	labelSelector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	k8sObject struct {
		Kind       string            `yaml:"kind"`
		Metadata   objectMeta        `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
		StringData map[string]string `yaml:"stringData"`
		Resources  []string          `yaml:"resources"` // a Kustomization's
		raw        []byte
	}
	deployment struct {
		Spec struct {
			Replicas int           `yaml:"replicas"`
			Selector labelSelector `yaml:"selector"`
			Template struct {
				Metadata objectMeta `yaml:"metadata"`
				Spec     podSpec    `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	podSpec struct {
		ServiceAccountName            string `yaml:"serviceAccountName"`
		TerminationGracePeriodSeconds *int   `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot *bool `yaml:"runAsNonRoot"`
			RunAsUser    *int  `yaml:"runAsUser"`
			RunAsGroup   *int  `yaml:"runAsGroup"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
	}
	container struct {
		Name  string `yaml:"name"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		Env []struct {
			Name  string `yaml:"name"`
			Value string `yaml:"value"`
		} `yaml:"env"`
		EnvFrom []struct {
			ConfigMapRef *struct {
				Name string `yaml:"name"`
			} `yaml:"configMapRef"`
			SecretRef *struct {
				Name string `yaml:"name"`
			} `yaml:"secretRef"`
		} `yaml:"envFrom"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		Resources      struct {
			Requests map[string]any `yaml:"requests"`
			Limits   map[string]any `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
	}
	probe struct {
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port any    `yaml:"port"` // a number or a port name
		} `yaml:"httpGet"`
	}
	k8sService struct {
		Spec struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				Port       int `yaml:"port"`
				TargetPort any `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	disruptionBudget struct {
		Spec struct {
			MinAvailable any           `yaml:"minAvailable"`
			Selector     labelSelector `yaml:"selector"`
		} `yaml:"spec"`
	}
	autoscaler struct {
		Spec struct {
			ScaleTargetRef struct {
				Kind string `yaml:"kind"`
				Name string `yaml:"name"`
			} `yaml:"scaleTargetRef"`
			MinReplicas int `yaml:"minReplicas"`
			Metrics     []struct {
				Resource struct {
					Name string `yaml:"name"`
				} `yaml:"resource"`
			} `yaml:"metrics"`
		} `yaml:"spec"`
	}
)

// manifests are every object under deploy/kubernetes, by file.
type manifests struct {
	byFile map[string][]k8sObject
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

func loadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", manifestDir, err)
	}
	m := manifests{byFile: map[string][]k8sObject{}}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range docSeparator.Split(string(raw), -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var o k8sObject
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" {
				t.Fatalf("%s: a document without a kind", f)
			}
			o.raw = []byte(doc)
			m.byFile[filepath.Base(f)] = append(m.byFile[filepath.Base(f)], o)
		}
	}
	return m
}

// one returns the only object of kind, decoded into out.
func (m manifests) one(t *testing.T, kind string, out any) k8sObject {
	t.Helper()
	var found []k8sObject
	for _, objs := range m.byFile {
		for _, o := range objs {
			if o.Kind == kind {
				found = append(found, o)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s, want 1", len(found), kind)
	}
	if out != nil {
		if err := yaml.Unmarshal(found[0].raw, out); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
	}
	return found[0]
}

// podEnv is what the container's process sees: envFrom sources first,
// then env, which wins, as the kubelet merges them. The Secret comes from
// its example, whose names are the ones a real Secret must use.
func (m manifests) podEnv(t *testing.T, c container) map[string]string {
	t.Helper()
	named := func(kind, name string) k8sObject {
		for _, objs := range m.byFile {
			for _, o := range objs {
				if o.Kind == kind && o.Metadata.Name == name {
					return o
				}
			}
		}
		t.Fatalf("envFrom names %s %q, which no manifest defines", kind, name)
		return k8sObject{}
	}
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		var src map[string]string
		switch {
		case from.ConfigMapRef != nil:
			src = named("ConfigMap", from.ConfigMapRef.Name).Data
		case from.SecretRef != nil:
			src = named("Secret", from.SecretRef.Name).StringData
		}
		for k, v := range src {
			env[k] = v
		}
	}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	return env
}

func TestKustomizationAppliesEveryManifestButTheSecretExample(t *testing.T) {
	m := loadManifests(t)
	k := m.byFile["kustomization.yaml"]
	if len(k) != 1 || k[0].Kind != "Kustomization" {
		t.Fatalf("kustomization.yaml = %+v", k)
	}
	var want []string
	for f := range m.byFile {
		if f != "kustomization.yaml" && f != "secret.example.yaml" {
			want = append(want, f)
		}
	}
	got := slices.Clone(k[0].Resources)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources = %v, want %v (the Secret example must never be applied over a real key)", got, want)
	}
	secret := m.one(t, "Secret", nil)
	for k, v := range secret.StringData {
		if !strings.HasPrefix(v, "<") || !strings.HasSuffix(v, ">") {
			t.Errorf("secret example %s = %q: want a <placeholder>, never a real value", k, v)
		}
	}
}

func TestKubernetesManifestsAgreeWithTheBinary(t *testing.T) {
	m := loadManifests(t)
	var d deployment
	dObj := m.one(t, "Deployment", &d)
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	env := m.podEnv(t, c)

	// Run the binary with the pod's environment, on loopback.
	run := withEnv(env, "HOST", "127.0.0.1", "PORT", "0")
	if env["METRICS_PORT"] != "" {
		run["METRICS_PORT"] = "0"
	}
	svc := startService(t, run)
	info := call(t, http.MethodGet, svc.URL+"/api/config/info", "", "").JSON(t)
	setting := func(key string) string {
		s, _ := info[key].(map[string]any)
		v, _ := s["value"].(string)
		return v
	}

	t.Run("every env name is a setting", func(t *testing.T) {
		for name := range env {
			if _, ok := info[name]; !ok {
				t.Errorf("the manifests set %s, which the service does not know (GET /api/config/info)", name)
			}
		}
		for _, must := range []string{"LOG_FORMAT", "TRUSTED_PROXIES", "SHUTDOWN_DELAY", "SHUTDOWN_TIMEOUT"} {
			if _, ok := env[must]; !ok {
				t.Errorf("the pod does not set %s", must)
			}
		}
		if env["LOG_FORMAT"] != "json" || env["LOG_FILE"] != "" || env["HOST"] != "0.0.0.0" {
			t.Errorf("LOG_FORMAT=%q LOG_FILE=%q HOST=%q; want json, empty (stdout only) and 0.0.0.0", env["LOG_FORMAT"], env["LOG_FILE"], env["HOST"])
		}
	})

	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	t.Run("ports", func(t *testing.T) {
		port := env["PORT"]
		if port == "" {
			port = setting("PORT") // the default, when the pod does not set it
		}
		if strconv.Itoa(ports["http"]) != port {
			t.Errorf("containerPort http = %d, configured PORT = %s", ports["http"], port)
		}
		if mp := env["METRICS_PORT"]; mp != "" {
			if strconv.Itoa(ports["metrics"]) != mp || d.Spec.Template.Metadata.Annotations["prometheus.io/port"] != mp {
				t.Errorf("METRICS_PORT=%s, containerPort metrics = %d, scrape annotation = %q", mp, ports["metrics"],
					d.Spec.Template.Metadata.Annotations["prometheus.io/port"])
			}
		}
	})

	t.Run("probes answer as the kubelet expects", func(t *testing.T) {
		for name, p := range map[string]*probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			if p == nil || p.HTTPGet == nil {
				t.Fatalf("no %s httpGet probe", name)
			}
			if portOf(p.HTTPGet.Port, ports) != ports["http"] {
				t.Errorf("%s probe port %v is not the API port %d", name, p.HTTPGet.Port, ports["http"])
			}
		}
		// As shipped, the ConfigMap leaves the Azure endpoint and deployment
		// blank: the pod must stay alive but out of rotation, saying why.
		live := call(t, http.MethodGet, svc.URL+c.LivenessProbe.HTTPGet.Path, "", "")
		if live.Status < 200 || live.Status >= 400 {
			t.Errorf("liveness %s = %d, a kubelet failure: the pod would be restarted", c.LivenessProbe.HTTPGet.Path, live.Status)
		}
		notReady := call(t, http.MethodGet, svc.URL+c.ReadinessProbe.HTTPGet.Path, "", "")
		body := notReady.JSON(t)
		missing, _ := body["missing"].([]any)
		if notReady.Status != 503 || !slices.Contains(missing, any("AZURE_OPENAI_ENDPOINT")) || body["provider"] != "azure" || body["auth"] != "key" {
			t.Errorf("readiness with the example settings = %d %s, want 503 naming AZURE_OPENAI_ENDPOINT", notReady.Status, notReady.Body)
		}
		// Filled in, the same probe passes.
		up := newAzureUpstream(t, azureReply)
		ready := startService(t, withEnv(run, "AZURE_OPENAI_ENDPOINT", up.URL, "AZURE_OPENAI_DEPLOYMENT_NAME", testDeployment))
		if r := call(t, http.MethodGet, ready.URL+c.ReadinessProbe.HTTPGet.Path, "", ""); r.Status < 200 || r.Status >= 400 {
			t.Errorf("readiness with complete settings = %d %s, a kubelet failure", r.Status, r.Body)
		}
	})

	t.Run("grace period covers the drain", func(t *testing.T) {
		delay, err1 := time.ParseDuration(setting("SHUTDOWN_DELAY"))
		timeout, err2 := time.ParseDuration(setting("SHUTDOWN_TIMEOUT"))
		if err1 != nil || err2 != nil {
			t.Fatalf("SHUTDOWN_DELAY %v, SHUTDOWN_TIMEOUT %v", err1, err2)
		}
		if pod.TerminationGracePeriodSeconds == nil {
			t.Fatal("no terminationGracePeriodSeconds: Kubernetes' 30s default would not be chosen on purpose")
		}
		if grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second; grace < delay+timeout {
			t.Errorf("terminationGracePeriodSeconds %s < SHUTDOWN_DELAY %s + SHUTDOWN_TIMEOUT %s: the kubelet would kill a draining pod", grace, delay, timeout)
		}
	})

	t.Run("hardening", func(t *testing.T) {
		sc := c.SecurityContext
		switch {
		case d.Spec.Replicas != 2:
			t.Errorf("replicas = %d, want 2", d.Spec.Replicas)
		case pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot:
			t.Error("runAsNonRoot is not true")
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Error("readOnlyRootFilesystem is not true")
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Error("allowPrivilegeEscalation is not false")
		case !slices.Contains(sc.Capabilities.Drop, "ALL"):
			t.Errorf("capabilities dropped = %v, want ALL", sc.Capabilities.Drop)
		}
		for _, r := range []string{"cpu", "memory"} {
			if c.Resources.Requests[r] == nil || c.Resources.Limits[r] == nil {
				t.Errorf("%s request or limit missing: %+v", r, c.Resources)
			}
		}
	})

	t.Run("the other objects point at the Deployment", func(t *testing.T) {
		podLabels := d.Spec.Template.Metadata.Labels
		var s k8sService
		m.one(t, "Service", &s)
		if !subset(s.Spec.Selector, podLabels) || len(s.Spec.Ports) == 0 {
			t.Errorf("Service selector %v does not select pods %v", s.Spec.Selector, podLabels)
		}
		for _, p := range s.Spec.Ports {
			if portOf(p.TargetPort, ports) != ports["http"] {
				t.Errorf("Service targetPort %v is not the API port: /metrics must stay off the Service", p.TargetPort)
			}
		}
		var pdb disruptionBudget
		m.one(t, "PodDisruptionBudget", &pdb)
		if !subset(pdb.Spec.Selector.MatchLabels, podLabels) || pdb.Spec.MinAvailable == nil {
			t.Errorf("PodDisruptionBudget = %+v", pdb.Spec)
		}
		var hpa autoscaler
		m.one(t, "HorizontalPodAutoscaler", &hpa)
		ref := hpa.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.Name != dObj.Metadata.Name || hpa.Spec.MinReplicas < 2 ||
			len(hpa.Spec.Metrics) == 0 || hpa.Spec.Metrics[0].Resource.Name != "cpu" {
			t.Errorf("HorizontalPodAutoscaler = %+v", hpa.Spec)
		}
		if sa := m.one(t, "ServiceAccount", nil); sa.Metadata.Name != pod.ServiceAccountName {
			t.Errorf("serviceAccountName %q, ServiceAccount %q", pod.ServiceAccountName, sa.Metadata.Name)
		}
		if !subset(d.Spec.Selector.MatchLabels, podLabels) {
			t.Errorf("Deployment selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, podLabels)
		}
	})

	t.Run("a commented workload-identity variant", func(t *testing.T) {
		raw, _ := os.ReadFile(filepath.Join(manifestDir, "deployment.yaml"))
		sa, _ := os.ReadFile(filepath.Join(manifestDir, "serviceaccount.yaml"))
		cm, _ := os.ReadFile(filepath.Join(manifestDir, "configmap.yaml"))
		for what, ok := range map[string]bool{
			"pod label azure.workload.identity/use":            bytes.Contains(raw, []byte("# azure.workload.identity/use: \"true\"")),
			"ServiceAccount annotation client-id":              bytes.Contains(sa, []byte("#   azure.workload.identity/client-id:")),
			"AZURE_OPENAI_AUTH entra named as the alternative": bytes.Contains(raw, []byte("AZURE_OPENAI_AUTH: entra")) && bytes.Contains(cm, []byte("entra")),
		} {
			if !ok {
				t.Errorf("the workload-identity variant lacks the %s", what)
			}
		}
	})
}

// portOf resolves a probe's or Service's port, a number or a name.
func portOf(p any, named map[string]int) int {
	switch v := p.(type) {
	case string:
		if n, ok := named[v]; ok {
			return n
		}
		n, _ := strconv.Atoi(v)
		return n
	default:
		n, _ := strconv.Atoi(fmt.Sprint(v))
		return n
	}
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
