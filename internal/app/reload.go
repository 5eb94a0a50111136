package app

import (
	"context"
	"crypto/sha256"
	"os"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/aoai-api/aoai-api/internal/adapters/pool"
	"github.com/aoai-api/aoai-api/internal/domain"
)

// fileVersion is what a poll compares: the file's digest, or why it
// could not be read, so that a missing file is reported once rather
// than on every tick.
type fileVersion struct {
	digest [sha256.Size]byte
	err    string
}

func versionOf(src []byte, err error) fileVersion {
	if err != nil {
		return fileVersion{err: err.Error()}
	}
	return fileVersion{digest: sha256.Sum256(src)}
}

// reloader re-reads LLM_CONFIG_FILE on SIGHUP, and whenever a poll finds
// its content changed (a mounted ConfigMap changes in place, and the
// image has no kill to send a signal with). A file that fails
// validation is refused and the running pool stays. It runs on one
// goroutine, so reloads never overlap.
type reloader struct {
	res Resolved // the file's path, the key lookup and the log redactor
	// swap builds the backends of models and puts them in service; it
	// returns the backends that could not be built.
	swap func(models []llmModel) []*domain.Error
	log  zerolog.Logger

	seen    fileVersion // the content last applied or refused
	current []llmModel  // what the pool serves now
}

func newReloader(res Resolved, swap func([]llmModel) []*domain.Error, log zerolog.Logger) *reloader {
	return &reloader{res: res, swap: swap, log: log, seen: res.fileVersion, current: res.Models}
}

// run serves reload requests until ctx ends. signals carries SIGHUP;
// ticks, the poll (nil without a file).
func (r *reloader) run(ctx context.Context, signals <-chan struct{}, ticks <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			r.signal()
		case <-ticks:
			r.poll()
		}
	}
}

// poolReloader reloads into p, building the backends as start-up did.
func poolReloader(res Resolved, bs *backends, p *pool.Pool, log zerolog.Logger) *reloader {
	return newReloader(res, func(models []llmModel) []*domain.Error {
		built, problems := bs.poolModels(models)
		p.Swap(built) // requests already running finish on the models they started with
		return problems
	}, log)
}

// startReloader runs r on its own goroutine, polling the file when there
// is one, until ctx ends or stop is called; stop waits for a reload in
// progress to finish.
func startReloader(ctx context.Context, r *reloader, signals <-chan struct{}) (stop func()) {
	var ticks <-chan time.Time
	var ticker *time.Ticker
	if r.path() != "" {
		ticker = time.NewTicker(r.res.Config.LLMConfigPollInterval)
		ticks = ticker.C
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(ctx, signals, ticks)
	}()
	return func() {
		cancel()
		<-done
		if ticker != nil {
			ticker.Stop()
		}
	}
}

func (r *reloader) path() string { return r.res.Config.LLMConfigFile }

// signal reloads on SIGHUP even when the content is unchanged: the
// operator asked, and the pool keeps each unchanged backend's health.
func (r *reloader) signal() {
	if r.path() == "" {
		r.log.Info().Msg("SIGHUP ignored: LLM_CONFIG_FILE is not set, so there is nothing to reload")
		return
	}
	src, err := os.ReadFile(r.path())
	r.apply("SIGHUP", src, err)
}

// poll reloads when the content differs from the last one seen.
func (r *reloader) poll() {
	src, err := os.ReadFile(r.path())
	if versionOf(src, err) != r.seen {
		r.apply("file change", src, err)
	}
}

func (r *reloader) apply(trigger string, src []byte, err error) {
	r.seen = versionOf(src, err)
	var models []llmModel
	if err != nil {
		err = fileError(err)
	} else {
		models, err = r.res.parseModels(src)
	}
	if err != nil {
		// The same one-line message that would stop start-up.
		r.log.Error().Str("trigger", trigger).Err(err).Msg("LLM_CONFIG_FILE refused; the running pool stays")
		return
	}
	for _, p := range r.swap(models) {
		r.log.Error().Err(p).Msg("backend cannot be built: it fails every call until a reload")
	}
	added, removed, changed := diffBackends(r.current, models)
	r.current = models
	ev := r.log.Info().Str("trigger", trigger).Strs("models", modelNames(models)).Int("backends", countBackends(models))
	for _, l := range []struct {
		key   string
		names []string
	}{{"added", added}, {"removed", removed}, {"changed", changed}} {
		if len(l.names) > 0 {
			ev = ev.Strs(l.key, l.names)
		}
	}
	ev.Msg("LLM_CONFIG_FILE reloaded")
}

func modelNames(models []llmModel) []string {
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	return names
}

func countBackends(models []llmModel) int {
	n := 0
	for _, m := range models {
		n += len(m.Backends)
	}
	return n
}

// diffBackends names, as model/backend, what a reload adds, removes and
// changes; every other backend keeps its health.
func diffBackends(old, new []llmModel) (added, removed, changed []string) {
	keys := func(models []llmModel) map[string]string {
		out := map[string]string{}
		for _, m := range models {
			for _, b := range m.Backends {
				out[m.Name+"/"+b.Name] = b.key()
			}
		}
		return out
	}
	before, after := keys(old), keys(new)
	for id, k := range after {
		switch was, ok := before[id]; {
		case !ok:
			added = append(added, id)
		case was != k:
			changed = append(changed, id)
		}
	}
	for id := range before {
		if _, ok := after[id]; !ok {
			removed = append(removed, id)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	slices.Sort(changed)
	return added, removed, changed
}
