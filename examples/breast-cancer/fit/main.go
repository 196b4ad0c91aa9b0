// Command fit trains the two example breast-cancer models on the shipped
// training CSV and writes their parameters as generated source files:
//
//   - logreg/weights.go: a standardized, L2-regularized logistic regression
//     on all 30 features, fitted by Newton's method (IRLS). Used by the Go
//     participant model (go-logreg) and importable natively by benchmarks.
//   - rust-model/weights.rs: the same logistic regression's parameters
//     for the Rust participant model (rust-model).
//   - c-model/weights.h: a Gaussian naive Bayes model on the ten mean_*
//     features, used by the C participant model (c-model). It is meant to
//     be a decent but clearly weaker model than the logistic regression.
//
// fit reads the training file only; it never opens the test file, which is
// what a host holds out.
//
// The output is a pure function of the training CSV: plain float64
// arithmetic with explicit conversions (so no fused multiply-adds), no
// assembly-backed math functions, a fixed iteration count and shortest
// round-trip float formatting. Running it again regenerates identical files:
//
//	go run ./examples/breast-cancer/fit
//	go run ./examples/breast-cancer/fit -train examples/data/breast_cancer_train.csv -out examples/breast-cancer
package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Defaults are relative to the repository root, where `go run
// ./examples/breast-cancer/fit` is run from.
const (
	DefaultTrain = "examples/data/breast_cancer_train.csv"
	DefaultOut   = "examples/breast-cancer"

	// DefaultLambda is the L2 penalty on the standardized coefficients (not
	// the intercept); 1.0 matches scikit-learn's LogisticRegression(C=1).
	DefaultLambda = 1.0
	// NaiveBayesPrefix selects the naive Bayes model's features by name.
	NaiveBayesPrefix = "mean_"
	// DefaultVarSmoothing is added to every naive Bayes variance as a
	// fraction of the largest feature variance, as scikit-learn's
	// GaussianNB(var_smoothing=1e-9) does.
	DefaultVarSmoothing = 1e-9
	// newtonIterations is fixed so the result does not depend on a
	// convergence test; Newton's method converges in well under 20 steps here.
	newtonIterations = 25
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	train := fs.String("train", DefaultTrain, "training CSV (id, features..., target)")
	out := fs.String("out", DefaultOut, "directory holding logreg/, rust-model/ and c-model/")
	lambda := fs.Float64("lambda", DefaultLambda, "L2 penalty of the logistic regression")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := fit(*train, *out, *lambda, stdout); err != nil {
		fmt.Fprintln(stderr, "fit:", err)
		return 1
	}
	return 0
}

func fit(trainPath, outDir string, lambda float64, stdout io.Writer) error {
	ds, err := readCSV(trainPath)
	if err != nil {
		return err
	}
	lr := fitLogReg(ds, lambda)
	nb := fitNaiveBayes(ds)

	goSrc, err := lr.goSource(ds)
	if err != nil {
		return err
	}
	files := []struct {
		path string
		data []byte
	}{
		{filepath.Join(outDir, "logreg", "weights.go"), goSrc},
		{filepath.Join(outDir, "rust-model", "weights.rs"), lr.rustSource(ds)},
		{filepath.Join(outDir, "c-model", "weights.h"), nb.cHeader(ds)},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return fmt.Errorf("write %q: %w", f.path, err)
		}
		fmt.Fprintf(stdout, "wrote %s\n", f.path)
	}
	fmt.Fprintf(stdout, "logistic regression: train accuracy %.4f, train log loss %.4f\n",
		accuracy(ds.y, lr.predict(ds)), lr.logLoss(ds))
	fmt.Fprintf(stdout, "naive Bayes:         train accuracy %.4f\n", accuracy(ds.y, nb.predict(ds)))
	return nil
}

// dataset is a training set held row-major: x[i][j] is feature j of row i.
type dataset struct {
	path     string
	features []string
	x        [][]float64
	y        []float64 // 0 or 1
}

func readCSV(path string) (*dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open training data: %w", err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	if len(records) < 2 {
		return nil, fmt.Errorf("read %q: %w", path, errors.New("no data rows"))
	}
	header := records[0]
	if len(header) < 3 || header[0] != "id" || header[len(header)-1] != "target" {
		return nil, fmt.Errorf("read %q: header must be id, features..., target; got %v", path, header)
	}
	ds := &dataset{path: path, features: header[1 : len(header)-1]}
	for r, rec := range records[1:] {
		row := make([]float64, len(ds.features))
		for j := range row {
			v, err := strconv.ParseFloat(rec[j+1], 64)
			if err != nil {
				return nil, fmt.Errorf("read %q row %d column %q: %w", path, r+1, ds.features[j], err)
			}
			row[j] = v
		}
		switch rec[len(rec)-1] {
		case "0":
			ds.y = append(ds.y, 0)
		case "1":
			ds.y = append(ds.y, 1)
		default:
			return nil, fmt.Errorf("read %q row %d: target %q is not 0 or 1", path, r+1, rec[len(rec)-1])
		}
		ds.x = append(ds.x, row)
	}
	return ds, nil
}

// sigmoid is 1/(1+e^-z) written with math.Expm1, which is pure Go on
// every GOARCH but s390x, whereas math.Exp has amd64 and arm64 assembly
// whose last bit can differ from the pure-Go version a wasm build uses.
func sigmoid(z float64) float64 { return 1 / (2 + math.Expm1(-z)) }

type logReg struct {
	mean, scale, coef []float64
	intercept         float64
}

// fitLogReg standardizes every feature (population standard deviation)
// and minimizes sum(log loss) + lambda/2 * |coef|^2 by Newton's method.
func fitLogReg(ds *dataset, lambda float64) *logReg {
	n, p := len(ds.x), len(ds.features)
	m := &logReg{mean: make([]float64, p), scale: make([]float64, p), coef: make([]float64, p)}
	for j := 0; j < p; j++ {
		var s float64
		for i := 0; i < n; i++ {
			s += ds.x[i][j]
		}
		mu := s / float64(n)
		var ss float64
		for i := 0; i < n; i++ {
			d := ds.x[i][j] - mu
			ss += float64(d * d)
		}
		sd := math.Sqrt(ss / float64(n))
		if sd == 0 {
			sd = 1
		}
		m.mean[j], m.scale[j] = mu, sd
	}
	// z[i] = [standardized features..., 1]; the last parameter is the intercept.
	z := make([][]float64, n)
	for i := range z {
		z[i] = make([]float64, p+1)
		for j := 0; j < p; j++ {
			z[i][j] = (ds.x[i][j] - m.mean[j]) / m.scale[j]
		}
		z[i][p] = 1
	}
	beta := make([]float64, p+1)
	for iter := 0; iter < newtonIterations; iter++ {
		grad := make([]float64, p+1)
		hess := make([][]float64, p+1)
		for a := range hess {
			hess[a] = make([]float64, p+1)
		}
		for i := 0; i < n; i++ {
			mu := sigmoid(dot(beta, z[i]))
			w := float64(mu * (1 - mu))
			r := mu - ds.y[i]
			for a := 0; a <= p; a++ {
				grad[a] += float64(r * z[i][a])
				wa := float64(w * z[i][a])
				for b := 0; b <= a; b++ {
					hess[a][b] += float64(wa * z[i][b])
				}
			}
		}
		for a := 0; a < p; a++ { // no penalty on the intercept
			grad[a] += float64(lambda * beta[a])
			hess[a][a] += lambda
		}
		step := solveCholesky(hess, grad)
		for a := range beta {
			beta[a] -= step[a]
		}
	}
	copy(m.coef, beta[:p])
	m.intercept = beta[p]
	return m
}

func dot(a, b []float64) float64 {
	var s float64
	for k := range a {
		s += float64(a[k] * b[k])
	}
	return s
}

// solveCholesky solves H s = g for a symmetric positive definite H of
// which only the lower triangle is filled.
func solveCholesky(h [][]float64, g []float64) []float64 {
	n := len(g)
	l := make([][]float64, n)
	for i := range l {
		l[i] = make([]float64, n)
		for j := 0; j <= i; j++ {
			s := h[i][j]
			for k := 0; k < j; k++ {
				s -= float64(l[i][k] * l[j][k])
			}
			if i == j {
				l[i][i] = math.Sqrt(s)
			} else {
				l[i][j] = s / l[j][j]
			}
		}
	}
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		s := g[i]
		for k := 0; k < i; k++ {
			s -= float64(l[i][k] * y[k])
		}
		y[i] = s / l[i][i]
	}
	s := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		v := y[i]
		for k := i + 1; k < n; k++ {
			v -= float64(l[k][i] * s[k])
		}
		s[i] = v / l[i][i]
	}
	return s
}

func (m *logReg) predict(ds *dataset) []float64 {
	out := make([]float64, len(ds.x))
	for i, row := range ds.x {
		z := m.intercept
		for j, v := range row {
			z += float64(m.coef[j] * ((v - m.mean[j]) / m.scale[j]))
		}
		out[i] = sigmoid(z)
	}
	return out
}

func (m *logReg) logLoss(ds *dataset) float64 {
	var s float64
	for i, p := range m.predict(ds) {
		if ds.y[i] == 1 {
			s -= math.Log(p)
		} else {
			s -= math.Log(1 - p)
		}
	}
	return s / float64(len(ds.y))
}

func (m *logReg) goSource(ds *dataset) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by fit; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package logreg\n\n")
	fmt.Fprintf(&b, "// Fitted on %s (%d rows): L2-regularized logistic regression,\n", filepath.Base(ds.path), len(ds.x))
	fmt.Fprintf(&b, "// lambda = %s, on features standardized by their training mean and\n", fmtFloat(DefaultLambda))
	fmt.Fprintf(&b, "// population standard deviation.\n\n")
	fmt.Fprintf(&b, "// NumFeatures is the number of features the model expects, in this order.\n")
	fmt.Fprintf(&b, "const NumFeatures = %d\n\n", len(ds.features))
	fmt.Fprintf(&b, "// Features names the model's inputs in the task's column order.\n")
	fmt.Fprintf(&b, "var Features = [NumFeatures]string{\n")
	for _, f := range ds.features {
		fmt.Fprintf(&b, "\t%q,\n", f)
	}
	fmt.Fprintf(&b, "}\n\n")
	arr := func(doc, name string, v []float64) {
		fmt.Fprintf(&b, "// %s\n", doc)
		fmt.Fprintf(&b, "var %s = [NumFeatures]float64{\n", name)
		for j, x := range v {
			fmt.Fprintf(&b, "\t%s, // %s\n", fmtFloat(x), ds.features[j])
		}
		fmt.Fprintf(&b, "}\n\n")
	}
	arr("Mean is each feature's training mean.", "Mean", m.mean)
	arr("Scale is each feature's training standard deviation.", "Scale", m.scale)
	arr("Coef holds the coefficients of the standardized features.", "Coef", m.coef)
	fmt.Fprintf(&b, "// Intercept is the log-odds of class 1 at the mean of every feature.\n")
	fmt.Fprintf(&b, "const Intercept = %s\n", fmtFloat(m.intercept))
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format logreg/weights.go: %w", err)
	}
	return src, nil
}

// rustSource writes the logistic regression's parameters as Rust
// constants, the same numbers as goSource, in the same shortest
// round-trip form (which Rust parses to the same f64).
func (m *logReg) rustSource(ds *dataset) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by fit; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "// Fitted on %s (%d rows): L2-regularized logistic regression,\n", filepath.Base(ds.path), len(ds.x))
	fmt.Fprintf(&b, "// lambda = %s, on features standardized by their training mean and\n", fmtFloat(DefaultLambda))
	fmt.Fprintf(&b, "// population standard deviation (the numbers of ../logreg/weights.go).\n\n")
	fmt.Fprintf(&b, "/// The number of features the model expects, in the task's column order.\n")
	fmt.Fprintf(&b, "pub const NUM_FEATURES: usize = %d;\n\n", len(ds.features))
	arr := func(doc, name string, v []float64) {
		fmt.Fprintf(&b, "/// %s\n", doc)
		fmt.Fprintf(&b, "pub const %s: [f64; NUM_FEATURES] = [\n", name)
		for j, x := range v {
			fmt.Fprintf(&b, "    %s, // %s\n", fmtFloat(x), ds.features[j])
		}
		fmt.Fprintf(&b, "];\n\n")
	}
	arr("Each feature's training mean.", "MEAN", m.mean)
	arr("Each feature's training standard deviation.", "SCALE", m.scale)
	arr("The coefficients of the standardized features.", "COEF", m.coef)
	fmt.Fprintf(&b, "/// The log-odds of class 1 at the mean of every feature.\n")
	fmt.Fprintf(&b, "pub const INTERCEPT: f64 = %s;\n", fmtFloat(m.intercept))
	return b.Bytes()
}

// fmtFloat prints the shortest decimal that parses back to exactly v.
func fmtFloat(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		s += ".0" // keep integral values float-typed in C and readable in Go
	}
	return s
}

// naiveBayes is a Gaussian naive Bayes model on the feature columns
// listed in cols: per class c, a prior and, per used feature k, a normal
// density with mean[c][k] and variance vari[c][k].
type naiveBayes struct {
	cols  []int
	prior [2]float64
	mean  [2][]float64
	vari  [2][]float64
}

func fitNaiveBayes(ds *dataset) *naiveBayes {
	nb := &naiveBayes{}
	for j, f := range ds.features {
		if strings.HasPrefix(f, NaiveBayesPrefix) {
			nb.cols = append(nb.cols, j)
		}
	}
	n, p := len(ds.x), len(nb.cols)
	// epsilon is var_smoothing times the largest population variance of
	// any used feature over the whole training set.
	var maxVar float64
	for _, j := range nb.cols {
		var s float64
		for i := 0; i < n; i++ {
			s += ds.x[i][j]
		}
		mu := s / float64(n)
		var ss float64
		for i := 0; i < n; i++ {
			d := ds.x[i][j] - mu
			ss += float64(d * d)
		}
		maxVar = math.Max(maxVar, ss/float64(n))
	}
	eps := DefaultVarSmoothing * maxVar
	for c := 0; c < 2; c++ {
		nb.mean[c] = make([]float64, p)
		nb.vari[c] = make([]float64, p)
		var cnt int
		for i := 0; i < n; i++ {
			if ds.y[i] == float64(c) {
				cnt++
			}
		}
		nb.prior[c] = float64(cnt) / float64(n)
		for k, j := range nb.cols {
			var s float64
			for i := 0; i < n; i++ {
				if ds.y[i] == float64(c) {
					s += ds.x[i][j]
				}
			}
			mu := s / float64(cnt)
			var ss float64
			for i := 0; i < n; i++ {
				if ds.y[i] == float64(c) {
					d := ds.x[i][j] - mu
					ss += float64(d * d)
				}
			}
			nb.mean[c][k] = mu
			nb.vari[c][k] = ss/float64(cnt) + eps
		}
	}
	return nb
}

// predict mirrors c-model/model.c; it is only used to report the training
// accuracy, so it may use math.Log and math.Exp freely.
func (nb *naiveBayes) predict(ds *dataset) []float64 {
	out := make([]float64, len(ds.x))
	for i, row := range ds.x {
		var ll [2]float64
		for c := 0; c < 2; c++ {
			ll[c] = math.Log(nb.prior[c])
			for k, j := range nb.cols {
				d := row[j] - nb.mean[c][k]
				ll[c] -= 0.5 * (math.Log(2*math.Pi*nb.vari[c][k]) + d*d/nb.vari[c][k])
			}
		}
		out[i] = 1 / (1 + math.Exp(ll[0]-ll[1]))
	}
	return out
}

func (nb *naiveBayes) cHeader(ds *dataset) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by fit; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "// Gaussian naive Bayes fitted on %s (%d rows) using the %d %s*\n", filepath.Base(ds.path), len(ds.x), len(nb.cols), NaiveBayesPrefix)
	fmt.Fprintf(&b, "// features: per class, a prior and per used feature a normal density\n")
	fmt.Fprintf(&b, "// (population variance plus %s times the largest used feature's\n", fmtFloat(DefaultVarSmoothing))
	fmt.Fprintf(&b, "// variance). Class 0 is malignant, 1 benign.\n\n")
	fmt.Fprintf(&b, "#ifndef VERDICT_EXAMPLE_WEIGHTS_H\n#define VERDICT_EXAMPLE_WEIGHTS_H\n\n")
	fmt.Fprintf(&b, "// NUM_FEATURES is the number of feature columns the task supplies;\n")
	fmt.Fprintf(&b, "// the model reads NUM_USED of them, at the indices in FEATURE.\n")
	fmt.Fprintf(&b, "#define NUM_FEATURES %d\n#define NUM_USED %d\n#define NUM_CLASSES 2\n\n", len(ds.features), len(nb.cols))
	fmt.Fprintf(&b, "static const int FEATURE[NUM_USED] = {\n")
	for _, j := range nb.cols {
		fmt.Fprintf(&b, "    %d, // %s\n", j, ds.features[j])
	}
	fmt.Fprintf(&b, "};\n\n")
	fmt.Fprintf(&b, "static const double PRIOR[NUM_CLASSES] = {%s, %s};\n\n", fmtFloat(nb.prior[0]), fmtFloat(nb.prior[1]))
	arr := func(name string, v [2][]float64) {
		fmt.Fprintf(&b, "static const double %s[NUM_CLASSES][NUM_USED] = {\n", name)
		for c := 0; c < 2; c++ {
			fmt.Fprintf(&b, "    {\n")
			for k, x := range v[c] {
				fmt.Fprintf(&b, "        %s, // %s\n", fmtFloat(x), ds.features[nb.cols[k]])
			}
			fmt.Fprintf(&b, "    },\n")
		}
		fmt.Fprintf(&b, "};\n\n")
	}
	arr("MEAN", nb.mean)
	arr("VARIANCE", nb.vari)
	fmt.Fprintf(&b, "#endif\n")
	return b.Bytes()
}

func accuracy(y, p []float64) float64 {
	var ok int
	for i := range y {
		if (p[i] >= 0.5) == (y[i] == 1) {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}
