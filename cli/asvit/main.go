// Command asvit designs, inspects and runs As-ViT vision transformers. Run
// "asvit --help" for its commands.
//
// Exit status: 0 on success, 1 on failure, 2 on a usage error, 130 when
// interrupted. A first interrupt stops at the next safe point; a second one
// kills the process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/asvit/asvit/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal gets the default action
	}()
	code := cli.Run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
