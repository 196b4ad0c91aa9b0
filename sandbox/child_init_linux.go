package sandbox

import (
	"context"
	"fmt"
	"os"
)

// init makes any executable that imports sandbox serve as the child of
// Process isolation when it is started with ChildArg as its only argument,
// before its own main or TestMain runs: Config.ChildCommand's default (this
// executable, ChildArg) then works in verdict, in other programs and in
// the test binaries of every package that runs guests, without wiring.
func init() {
	if len(os.Args) != 2 || os.Args[1] != ChildArg {
		return
	}
	if err := ServeChild(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}
