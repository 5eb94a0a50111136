package app

import (
	"os"
	"reflect"
	"testing"

	"github.com/kelseyhightower/envconfig"
)

// TestFileValuesDecodeAsEnvconfigDecodesThem feeds the same raw values
// to envconfig (through the environment) and to decodeSetting (as the
// .env layer does), for every setting, and wants the same field and the
// same verdict.
func TestFileValuesDecodeAsEnvconfigDecodesThem(t *testing.T) {
	raws := []string{"", " ", "0", "7", "0x10", "-3", "1.5", "1e3", "true", "FALSE", "t", "yes",
		"90s", "2m", "1h30m", "-1s", "a,b", " a , b ,", ",", "https://x.example/v1?k=v", "nope"}
	for _, f := range configFields() {
		for _, raw := range raws {
			isolate(t)
			t.Setenv(f.key, raw)
			var viaEnv Config
			envErr := envconfig.Process("", &viaEnv)

			isolate(t)
			var viaFile Config
			if err := envconfig.Process("", &viaFile); err != nil {
				t.Fatal(err)
			}
			fileErr := decodeSetting(reflect.ValueOf(&viaFile).Elem().Field(f.index), raw)

			if (envErr == nil) != (fileErr == nil) {
				t.Errorf("%s=%q: envconfig err %v, file layer err %v", f.key, raw, envErr, fileErr)
				continue
			}
			if envErr != nil {
				continue
			}
			got, want := reflect.ValueOf(viaFile).Field(f.index).Interface(), reflect.ValueOf(viaEnv).Field(f.index).Interface()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s=%q: file layer gives %#v, envconfig %#v", f.key, raw, got, want)
			}
		}
	}
}

func TestLoadConfigWritesNothingToTheEnvironment(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	writeFile(t, dir+"/.env", "AZURE_OPENAI_DEPLOYMENT_NAME=from-file\nUPSTREAM_TIMEOUT=90s\nTRUSTED_PROXIES=10.0.0.0/8,192.168.0.1\n")
	res, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Config; c.AzureDeployment != "from-file" || c.UpstreamTimeout.String() != "1m30s" || len(c.TrustedProxies) != 2 {
		t.Fatalf("file values not applied: %+v", c)
	}
	for _, k := range []string{"AZURE_OPENAI_DEPLOYMENT_NAME", "UPSTREAM_TIMEOUT", "TRUSTED_PROXIES"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("%s=%q was exported into the process environment", k, v)
		}
	}
}
