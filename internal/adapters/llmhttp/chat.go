package llmhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/aoai-api/aoai-api/internal/domain"
	"github.com/aoai-api/aoai-api/internal/ports"
)

// maxResponseBytes bounds what a misbehaving upstream can make us read.
const maxResponseBytes = 8 << 20

// Endpoint is one chat-completions URL and how to call it; a provider
// adapter is little more than one of these.
type Endpoint struct {
	URL   string
	Model string // sent in the body when set; Azure's classic URLs name it in the path
	// Authorize adds credentials to each attempt, so a token refreshed
	// between attempts is used at once.
	Authorize     func(ctx context.Context, h http.Header) error
	Timeout       time.Duration // one call; a stream's wait for its first choice
	IdleTimeout   time.Duration // a stream's longest gap between events
	MaxEventBytes int           // one stream event's data; DefaultMaxEventBytes when 0
	// DeveloperAsSystem sends developer turns as system ones, for API
	// versions that predate the developer role.
	DeveloperAsSystem bool
}

// ChatClient fulfils ports.ChatModel for any OpenAI-compatible endpoint.
type ChatClient struct {
	http *Client
	ep   Endpoint
}

var _ ports.ChatModel = (*ChatClient)(nil)

// NewChatClient pairs the shared retry client with one endpoint.
func NewChatClient(c *Client, ep Endpoint) *ChatClient { return &ChatClient{http: c, ep: ep} }

// Chat sends one chat completion; see ports.ChatModel for the error kinds.
func (c *ChatClient) Chat(ctx context.Context, req ports.Conversation) (domain.Answer, error) {
	if c.ep.Timeout > 0 && !endsWithin(ctx, c.ep.Timeout) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.ep.Timeout)
		defer cancel()
	}
	body, err := json.Marshal(c.wire(req))
	if err != nil {
		return domain.Answer{}, domain.Upstream("could not encode the upstream request", err)
	}
	resp, err := c.http.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		return c.newRequest(ctx, body, jsonType)
	})
	if err != nil {
		return domain.Answer{}, err
	}
	defer resp.Body.Close()
	res, id, err := c.parse(ctx, io.LimitReader(resp.Body, maxResponseBytes))
	res.UpstreamRequestID = c.http.RequestID(resp.Header)
	if err != nil {
		c.http.traceResponse(ctx, resp, nil)
		return res, err
	}
	c.http.traceAnswer(ctx, resp, id, res)
	return res, nil
}

// endsWithin says whether ctx's deadline comes no later than d from now.
// The pool's whole-call deadline usually does, and a second timer for
// the same instant would only cost a context and a timer per call.
func endsWithin(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) <= d
}

// Stream asks for a streamed answer with a final usage chunk.
func (c *ChatClient) Stream(ctx context.Context, req ports.Conversation) (ports.ChatStream, error) {
	w := c.wire(req)
	w.Stream, w.StreamOptions = true, &streamOptions{IncludeUsage: true}
	body, err := json.Marshal(w)
	if err != nil {
		return nil, domain.Upstream("could not encode the upstream request", err)
	}
	st, err := c.http.OpenStream(ctx, func(ctx context.Context) (*http.Request, error) {
		return c.newRequest(ctx, body, eventStreamType)
	}, StreamLimits{First: c.ep.Timeout, Idle: c.ep.IdleTimeout, MaxEventBytes: c.ep.MaxEventBytes})
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return st, nil
}

func (c *ChatClient) newRequest(ctx context.Context, body []byte, accept []string) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.ep.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header["Content-Type"] = jsonType
	r.Header["Accept"] = accept
	if c.ep.Authorize != nil {
		if err := c.ep.Authorize(ctx, r.Header); err != nil {
			return nil, domain.Upstream("upstream authentication failed", err)
		}
	}
	return r, nil
}

// Request header values are shared, never edited in place: assigning
// them costs no allocation per attempt.
var (
	jsonType        = []string{"application/json"}
	eventStreamType = []string{"text/event-stream"}
)

// parse reads the whole body into a pooled buffer, then decodes it in
// one pass: a read that fails is a cut exchange, a body that does not
// decode is a malformed answer.
// It returns the answer's id too, for its span.
func (c *ChatClient) parse(ctx context.Context, body io.Reader) (domain.Answer, string, error) {
	name := c.http.target.Name
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBody(buf)
	if _, err := buf.ReadFrom(body); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) { // the upstream ended its body early: it did the work
			return domain.Answer{}, "", c.http.badAnswer(ctx, err, name+" returned a malformed response")
		}
		return domain.Answer{}, "", c.http.broken(ctx, err, name+" response was cut short") // a deadline mid-body is a timeout
	}
	var w wireResponse
	if err := unmarshalAnswer(buf.Bytes(), &w); err != nil {
		return domain.Answer{}, "", c.http.badAnswer(ctx, err, name+" returned a malformed response")
	}
	if len(w.Choices) == 0 {
		return domain.Answer{}, "", c.http.badAnswer(ctx, errors.New("empty choices"), name+" returned no choices")
	}
	return w.answer(), w.ID, nil
}
