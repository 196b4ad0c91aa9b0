package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/internal/scaffold"
)

func newInitCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "init", Short: "start a project: a model in Go, C, Rust or AssemblyScript, or a Python one exported as ONNX (participant)"}
	langs := strings.Join(scaffold.Languages(), "|")
	var lang string
	model := &cobra.Command{
		Use:   "model --lang " + langs + " DIR",
		Short: "write a model project that builds offline: source, SDK, Makefile, sample rows",
		Long: `Init model writes a ready model project to DIR (created if needed; it must be
empty): a starter model (a logistic regression over the sample's three
features), verdict's SDK for the language copied beside it (nothing is
downloaded: Go gets sdk/guest in guest/ and a go.mod replace), a Makefile
with the exact build line, sample rows with a local task spec, and a README.

Then: cd DIR; make (builds model.wasm); make try (evaluates it on the
sample rows with this CLI, in a local data dir); verdict keygen; verdict
check; verdict submit.

--lang python writes train.py (scikit-learn, exported as ONNX with the onnx
package), train_torch.py (PyTorch, torch.onnx.export) and a Makefile: make
trains on the sample rows and writes model.onnx, which verdict check and
verdict submit take like a model.wasm.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if lang == "" {
				return badInput(fmt.Errorf("say which language: --lang %s", langs))
			}
			dir := args[0]
			files, err := scaffold.Write(dir, lang)
			if err != nil {
				return badInput(err)
			}
			if g.json {
				return g.emit(map[string]any{"dir": dir, "language": lang, "files": files})
			}
			fmt.Fprintf(g.stdout, "wrote a %s model project to %s:\n", lang, dir)
			for _, f := range files {
				fmt.Fprintf(g.stdout, "  %s\n", filepath.FromSlash(f))
			}
			if lang == "python" {
				fmt.Fprintf(g.stdout, "next:\n  cd %s\n  make        # train.py: train on sample/rows.csv, export model.onnx (make torch: the PyTorch variant)\n", dir)
				fmt.Fprintf(g.stdout, "  verdict keygen --out me.key                      # once: your identity\n")
				fmt.Fprintf(g.stdout, "  verdict check model.onnx --task ID --server URL  # what would fail, without submitting\n")
				fmt.Fprintf(g.stdout, "  verdict submit --server URL --task ID --key me.key model.onnx\n")
				return nil
			}
			fmt.Fprintf(g.stdout, "next:\n  cd %s\n  make        # build model.wasm\n  make try    # evaluate it on sample/rows.csv with verdict, locally\n", dir)
			fmt.Fprintf(g.stdout, "  verdict keygen --out me.key                      # once: your identity\n")
			fmt.Fprintf(g.stdout, "  verdict check model.wasm --task ID --server URL  # what would fail, without submitting\n")
			fmt.Fprintf(g.stdout, "  verdict submit --server URL --task ID --key me.key model.wasm\n")
			return nil
		},
	}
	model.Flags().StringVar(&lang, "lang", "", "the model's language: "+langs)
	c.AddCommand(model)
	return c
}
