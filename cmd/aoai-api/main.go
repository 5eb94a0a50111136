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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "aoai-api:", err)
		stop()
		os.Exit(1)
	}
}
