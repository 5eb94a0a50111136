// Command aoai-api serves Azure OpenAI chat completions to web frontends.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/aoai-api/aoai-api/internal/app"
)

func main() {
	app.SetGlobals()
	if err := app.Run(drainOnSignal(), os.Stdout, reloadOnSignal()); err != nil {
		fmt.Fprintln(os.Stderr, "aoai-api:", err)
		os.Exit(1)
	}
}

// drainOnSignal returns a context that ends on the first SIGTERM or
// SIGINT, which starts the graceful drain. A second signal exits at once
// with status 2: an operator who asks twice does not want to wait. The
// channel holds both, so a quick second signal is never lost.
func drainOnSignal() context.Context {
	ctx, drain := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		drain()
		<-sigs
		fmt.Fprintln(os.Stderr, "aoai-api: second signal: exiting without draining")
		os.Exit(2)
	}()
	return ctx
}

// reloadOnSignal turns SIGHUP into a request to re-read LLM_CONFIG_FILE.
// Catching it before Run starts means it never ends the process, not even
// during start-up, as its default action would. Signals that arrive while
// one request waits merge into it: the reload reads the file as it is then.
func reloadOnSignal() <-chan struct{} {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP)
	return forward(sigs)
}

func forward(sigs <-chan os.Signal) <-chan struct{} {
	reload := make(chan struct{}, 1)
	go func() {
		for range sigs {
			select {
			case reload <- struct{}{}:
			default: // one is already pending
			}
		}
	}()
	return reload
}
