package test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
)

// reporter is the part of *testing.T the contract transport needs. The
// negative test passes a recorder instead, to watch the transport fail.
type reporter interface {
	Errorf(format string, args ...any)
	Cleanup(func())
}

type reporterKey struct{}

type outOfContractKey struct{}

// outOfContract marks a request to a listener the document does not
// describe (the separate METRICS_PORT), which the transport passes
// unchecked. The API port never gets this: its every answer is checked.
func outOfContract(ctx context.Context, r reporter) context.Context {
	return context.WithValue(withTest(ctx, r), outOfContractKey{}, true)
}

// withTest ties a request to the test sending it: the contract transport
// reports drift there, and refuses requests that carry no test.
func withTest(ctx context.Context, r reporter) context.Context {
	return context.WithValue(ctx, reporterKey{}, r)
}

// contractTransport checks every exchange against the contract once the
// client has read the response body, so a stream is checked without being
// buffered before the test sees it.
type contractTransport struct {
	contract *contract
	base     http.RoundTripper
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rep, ok := req.Context().Value(reporterKey{}).(reporter)
	if !ok {
		return nil, errors.New("contract: the request names no test, so its response could not be checked; send it with call() or a context from withTest")
	}
	if skip, _ := req.Context().Value(outOfContractKey{}).(bool); skip {
		return ct.base.RoundTrip(req)
	}
	reqBody, err := requestBody(req)
	if err != nil {
		return nil, err
	}
	resp, err := ct.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body := &checkedBody{ReadCloser: resp.Body}
	ex := exchange{req: req, reqBody: reqBody, status: resp.StatusCode, header: resp.Header.Clone()}
	body.finish = func(b []byte, complete bool) {
		ex.body, ex.complete = b, complete
		if err := ct.contract.check(context.WithoutCancel(req.Context()), ex); err != nil {
			rep.Errorf("contract: %s %s answered %d: %v", req.Method, req.URL.Path, resp.StatusCode, err)
		}
	}
	rep.Cleanup(func() {
		if !body.finished() {
			rep.Errorf("contract: %s %s: the test never read or closed the response body, so it was not checked", req.Method, req.URL.Path)
		}
	})
	resp.Body = body
	return resp, nil
}

// CloseIdleConnections lets client.CloseIdleConnections reach the base
// transport, so tests that count the service's goroutines can settle.
func (ct *contractTransport) CloseIdleConnections() {
	if c, ok := ct.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// requestBody copies the body without consuming the one the base
// transport sends.
func requestBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("contract: a request body must be replayable (GetBody), as http.NewRequest makes it")
	}
	rc, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// checkedBody records what the client reads and runs finish once: at the
// end of the body, or at Close when the client stops early.
type checkedBody struct {
	io.ReadCloser
	mu     sync.Mutex // Close may come from another goroutine mid-Read
	buf    bytes.Buffer
	once   sync.Once
	finish func(body []byte, complete bool)
	done   bool
}

func (b *checkedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.mu.Lock()
	b.buf.Write(p[:n])
	b.mu.Unlock()
	if errors.Is(err, io.EOF) {
		b.end(true)
	}
	return n, err
}

func (b *checkedBody) Close() error {
	b.end(false)
	return b.ReadCloser.Close()
}

func (b *checkedBody) end(complete bool) {
	b.once.Do(func() {
		b.mu.Lock()
		body := bytes.Clone(b.buf.Bytes())
		b.done = true
		b.mu.Unlock()
		b.finish(body, complete)
	})
}

func (b *checkedBody) finished() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done
}
