package test

import (
	"bytes"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestKubernetesManifestsAgreeWithTheBinary(t *testing.T) {
	m := loadManifests(t)
	d := one[appsv1.Deployment](t, m)
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

	ports := containerPorts(c)
	t.Run("ports", func(t *testing.T) {
		port := env["PORT"]
		if port == "" {
			port = setting("PORT") // the default, when the pod does not set it
		}
		if strconv.Itoa(ports["http"]) != port {
			t.Errorf("containerPort http = %d, configured PORT = %s", ports["http"], port)
		}
		if mp := env["METRICS_PORT"]; mp != "" {
			scrape := d.Spec.Template.Annotations["prometheus.io/port"]
			if strconv.Itoa(ports["metrics"]) != mp || scrape != mp {
				t.Errorf("METRICS_PORT=%s, containerPort metrics = %d, scrape annotation = %q", mp, ports["metrics"], scrape)
			}
		}
	})

	t.Run("probes answer as the kubelet expects", func(t *testing.T) {
		for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			if p == nil || p.HTTPGet == nil {
				t.Fatalf("no %s httpGet probe", name)
			}
			if portOf(p.HTTPGet.Port, ports) != ports["http"] {
				t.Errorf("%s probe port %s is not the API port %d", name, p.HTTPGet.Port.String(), ports["http"])
			}
		}
		if c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("probes on %s and %s, want /healthz and /readyz", c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path)
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
		case ptr.Deref(d.Spec.Replicas, 1) != 2:
			t.Errorf("replicas = %v, want 2", d.Spec.Replicas)
		case pod.SecurityContext == nil || !ptr.Deref(pod.SecurityContext.RunAsNonRoot, false):
			t.Error("runAsNonRoot is not true")
		case sc == nil || !ptr.Deref(sc.ReadOnlyRootFilesystem, false):
			t.Error("readOnlyRootFilesystem is not true")
		case ptr.Deref(sc.AllowPrivilegeEscalation, true):
			t.Error("allowPrivilegeEscalation is not false")
		case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL"):
			t.Errorf("capabilities = %+v, want ALL dropped", sc.Capabilities)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[r]; !ok {
				t.Errorf("no %s request", r)
			}
			if _, ok := c.Resources.Limits[r]; !ok {
				t.Errorf("no %s limit", r)
			}
		}
	})

	t.Run("the other objects point at the Deployment", func(t *testing.T) {
		podLabels := labels.Set(d.Spec.Template.Labels)
		selects := func(sel map[string]string) bool {
			return len(sel) > 0 && labels.SelectorFromSet(sel).Matches(podLabels)
		}
		service := one[corev1.Service](t, m).Spec
		if !selects(service.Selector) || len(service.Ports) == 0 {
			t.Errorf("Service selector %v does not select pods %v", service.Selector, podLabels)
		}
		for _, p := range service.Ports {
			if portOf(p.TargetPort, ports) != ports["http"] {
				t.Errorf("Service targetPort %s is not the API port: /metrics must stay off the Service", p.TargetPort.String())
			}
		}
		if pdb := one[policyv1.PodDisruptionBudget](t, m).Spec; pdb.Selector == nil || !selects(pdb.Selector.MatchLabels) || pdb.MinAvailable == nil {
			t.Errorf("PodDisruptionBudget = %+v", pdb)
		}
		hpa := one[autoscalingv2.HorizontalPodAutoscaler](t, m).Spec
		if ref := hpa.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name || ptr.Deref(hpa.MinReplicas, 1) < 2 ||
			len(hpa.Metrics) == 0 || hpa.Metrics[0].Resource == nil || hpa.Metrics[0].Resource.Name != corev1.ResourceCPU {
			t.Errorf("HorizontalPodAutoscaler = %+v", hpa)
		}
		if account := one[corev1.ServiceAccount](t, m); account.Name != pod.ServiceAccountName {
			t.Errorf("serviceAccountName %q, ServiceAccount %q", pod.ServiceAccountName, account.Name)
		}
		if d.Spec.Selector == nil || !selects(d.Spec.Selector.MatchLabels) {
			t.Errorf("Deployment selector %v does not select its pods %v", d.Spec.Selector, podLabels)
		}
	})

	t.Run("a commented workload-identity variant", func(t *testing.T) {
		dep, sa, cm := m.raw["deployment.yaml"], m.raw["serviceaccount.yaml"], m.raw["configmap.yaml"]
		for what, ok := range map[string]bool{
			"pod label azure.workload.identity/use":            bytes.Contains(dep, []byte("# azure.workload.identity/use: \"true\"")),
			"ServiceAccount annotation client-id":              bytes.Contains(sa, []byte("#   azure.workload.identity/client-id:")),
			"AZURE_OPENAI_AUTH entra named as the alternative": bytes.Contains(dep, []byte("AZURE_OPENAI_AUTH: entra")) && bytes.Contains(cm, []byte("entra")),
		} {
			if !ok {
				t.Errorf("the workload-identity variant lacks the %s", what)
			}
		}
	})
}

// podEnv is what the container's process sees: envFrom sources first,
// then env, which wins, as the kubelet merges them. The Secret comes from
// its example, whose names are the ones a real Secret must use.
func (m manifests) podEnv(t *testing.T, c corev1.Container) map[string]string {
	t.Helper()
	cm, secret := one[corev1.ConfigMap](t, m), one[corev1.Secret](t, m)
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil && from.ConfigMapRef.Name == cm.Name:
			maps.Copy(env, cm.Data)
		case from.SecretRef != nil && from.SecretRef.Name == secret.Name:
			maps.Copy(env, secret.StringData)
		default:
			t.Fatalf("envFrom %+v names no ConfigMap or Secret in the manifests", from)
		}
	}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	return env
}

func containerPorts(c corev1.Container) map[string]int {
	named := map[string]int{}
	for _, p := range c.Ports {
		named[p.Name] = int(p.ContainerPort)
	}
	return named
}

// portOf resolves a probe's or Service's port, a number or a port name.
func portOf(p intstr.IntOrString, named map[string]int) int {
	if p.Type == intstr.String {
		return named[p.StrVal]
	}
	return p.IntValue()
}
