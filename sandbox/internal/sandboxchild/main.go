// Command sandboxchild is a bare child for sandbox.Process isolation: it
// serves requests with sandbox.ServeChild. The sandbox tests build it
// without the race detector when they run with it, because a race-enabled
// child starts and dies too slowly for the tests' time limits and cannot
// have an address-space limit; verdict itself uses its hidden subcommand.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/verdictlab/verdict/sandbox"
)

func main() {
	if err := sandbox.ServeChild(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
