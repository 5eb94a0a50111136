package azureopenai_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/aoai-api/aoai-api/internal/adapters/azureopenai"
)

// fakeCredential issues numbered one-hour tokens on a fake clock; it
// never reaches an identity endpoint.
type fakeCredential struct {
	mu      sync.Mutex
	now     time.Time
	expires map[string]time.Time
	scopes  [][]string
	fail    bool
}

func newFakeCredential() *fakeCredential {
	return &fakeCredential{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), expires: map[string]time.Time{}}
}

func (f *fakeCredential) GetToken(_ context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = append(f.scopes, opts.Scopes)
	if f.fail {
		return azcore.AccessToken{}, errors.New("identity endpoint unavailable")
	}
	tok := azcore.AccessToken{Token: fmt.Sprintf("token-%d", len(f.expires)+1), ExpiresOn: f.now.Add(time.Hour)}
	f.expires[tok.Token] = tok.ExpiresOn
	return tok, nil
}

func (f *fakeCredential) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeCredential) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// valid is what Azure checks: a token we issued that has not expired.
func (f *fakeCredential) valid(bearer string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	exp, ok := f.expires[strings.TrimPrefix(bearer, "Bearer ")]
	return ok && strings.HasPrefix(bearer, "Bearer ") && f.now.Before(exp)
}

func (f *fakeCredential) issued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.expires)
}

func entraClient(t *testing.T, cred *fakeCredential, apiVersion string) azureopenai.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("api-key") != "" {
			t.Error("an api-key was sent alongside the Entra token")
		}
		if !cred.valid(r.Header.Get("Authorization")) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"code":"401","message":"token expired"}}`)
			return
		}
		_, _ = io.WriteString(w, okBody)
	}))
	t.Cleanup(srv.Close)
	return azureopenai.New(azureopenai.Config{Endpoint: srv.URL, Deployment: "d", APIVersion: apiVersion, Credential: cred, Now: cred.Now}, srv.Client())
}

func TestEntraTokenExpiringMidRunIsReplacedWithoutAFailedRequest(t *testing.T) {
	cred := newFakeCredential()
	c := entraClient(t, cred, "2024-10-21")
	for minute := 0; minute <= 150; minute += 5 { // two and a half token lifetimes
		if _, err := c.Chat(context.Background(), chatReq()); err != nil {
			t.Fatalf("minute %d: request failed: %v", minute, err)
		}
		cred.advance(5 * time.Minute)
	}
	if n := cred.issued(); n < 3 || n > 4 {
		t.Errorf("issued %d tokens over 150 minutes: want one per lifetime, cached in between", n)
	}
	for _, s := range cred.scopes {
		if len(s) != 1 || s[0] != "https://cognitiveservices.azure.com/.default" {
			t.Errorf("scopes = %v", s)
		}
	}
}

func TestEntraFailedRenewalKeepsAStillValidToken(t *testing.T) {
	cred := newFakeCredential()
	c := entraClient(t, cred, azureopenai.APIVersionV1)
	if _, err := c.Chat(context.Background(), chatReq()); err != nil {
		t.Fatal(err)
	}
	cred.advance(57 * time.Minute) // inside the renewal margin
	cred.mu.Lock()
	cred.fail = true
	cred.mu.Unlock()
	if _, err := c.Chat(context.Background(), chatReq()); err != nil {
		t.Fatalf("a failed early renewal must fall back to the valid token: %v", err)
	}
	cred.advance(5 * time.Minute) // now expired, and renewal still failing
	_, err := c.Chat(context.Background(), chatReq())
	if err == nil || !strings.Contains(err.Error(), "upstream authentication failed") {
		t.Errorf("err = %v, want an authentication failure", err)
	}
}
