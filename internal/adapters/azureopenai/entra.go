package azureopenai

import (
	"context"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// cognitiveServicesScope is the audience of Azure OpenAI data-plane tokens.
const cognitiveServicesScope = "https://cognitiveservices.azure.com/.default"

// refreshMargin renews a token this long before it expires, so no
// request ever carries one that lapses in flight.
const refreshMargin = 5 * time.Minute

// tokenCache holds one Entra token and renews it ahead of expiry; the
// classic bug it prevents is a token cached forever that fails after an hour.
type tokenCache struct {
	cred azcore.TokenCredential
	now  func() time.Time
	mu   sync.Mutex // also makes concurrent callers share one renewal
	tok  azcore.AccessToken
}

func newTokenCache(cred azcore.TokenCredential, now func() time.Time) *tokenCache {
	if now == nil {
		now = time.Now
	}
	return &tokenCache{cred: cred, now: now}
}

func (c *tokenCache) get(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.tok.Token != "" && now.Before(c.renewAt()) {
		return c.tok.Token, nil
	}
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{cognitiveServicesScope}})
	if err != nil {
		if c.tok.Token != "" && now.Before(c.tok.ExpiresOn) {
			return c.tok.Token, nil // renewal failed early: the old token still works
		}
		return "", err
	}
	c.tok = tok
	return tok.Token, nil
}

func (c *tokenCache) renewAt() time.Time {
	if !c.tok.RefreshOn.IsZero() {
		return c.tok.RefreshOn
	}
	return c.tok.ExpiresOn.Add(-refreshMargin)
}
