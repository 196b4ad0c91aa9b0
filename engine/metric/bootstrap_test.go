package metric

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// bootInput builds n rows of well-behaved synthetic data for t: informative
// but imperfect predictions, quantised so that scores tie. Ranking has
// n/10 queries of 10 rows; weighted adds weights in {0.5, 1, 2}.
func bootInput(t TaskType, n int, seed uint64, weighted bool) Input {
	r := rand.New(rand.NewPCG(seed, 7))
	in := benchInputFrom(r, t, n)
	switch t {
	case Binary:
		for i, p := range in.Pred[0] {
			in.Pred[0][i] = math.Round(p*50) / 50
		}
	case Regression: // >= 0 for rmsle
		for i := range n {
			in.Truth[i], in.Pred[0][i] = math.Abs(in.Truth[i]), math.Abs(in.Pred[0][i])
		}
	}
	if t == Ranking {
		in.Group = make([]string, n)
		for i := range n {
			in.Group[i] = "q" + strconv.Itoa(i/10)
		}
	}
	if weighted {
		in.Weight = make([]float64, n)
		for i := range n {
			in.Weight[i] = []float64{0.5, 1, 2}[r.IntN(3)]
		}
	}
	return in
}

// inputsFor returns one input per task type the metric supports.
func inputsFor(m Metric, n int, seed uint64, weighted bool) []Input {
	var ins []Input
	for _, t := range m.Types {
		ins = append(ins, bootInput(t, n, seed, weighted && m.weighted))
	}
	return ins
}

func mustLookup(tb testing.TB, name string) Metric {
	tb.Helper()
	m, err := Lookup(name)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestBootstrapDeterministic(t *testing.T) {
	for _, name := range []string{"roc_auc", "log_loss", "f1_macro", "rmse", "ndcg@5", "median_ae", "spearman"} {
		t.Run(name, func(t *testing.T) {
			m := mustLookup(t, name)
			in := bootInput(m.Types[0], 300, 1, false)
			var first Interval
			for _, w := range []int{1, 2, 4} {
				got, err := m.Bootstrap(in, BootstrapConfig{Resamples: 200, Seed: 42, Workers: w})
				if err != nil {
					t.Fatal(err)
				}
				if w == 1 {
					first = got
					continue
				}
				if got != first {
					t.Errorf("workers=%d: got %+v, want %+v (workers=1)", w, got, first)
				}
			}
			other, err := m.Bootstrap(in, BootstrapConfig{Resamples: 200, Seed: 43})
			if err != nil {
				t.Fatal(err)
			}
			if other == first {
				t.Errorf("seed 43: got %+v, the same interval as seed 42", other)
			}
		})
	}
}

// TestBootstrapContainsScore runs every metric on well-behaved data.
func TestBootstrapContainsScore(t *testing.T) {
	for _, m := range All() {
		for _, in := range inputsFor(m, 400, 2, true) {
			t.Run(m.Name+"/"+string(in.Type), func(t *testing.T) {
				score, err := m.Score(in)
				if err != nil {
					t.Fatal(err)
				}
				iv, err := m.Bootstrap(in, BootstrapConfig{Resamples: 200, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				if !(iv.Low <= score && score <= iv.High) || !(iv.Low < iv.High) {
					t.Errorf("got [%v, %v], want a non-empty interval around the score %v", iv.Low, iv.High, score)
				}
				if iv.Level != DefaultLevel || iv.Resamples != 200 {
					t.Errorf("got level %v from %d resamples, want %v from 200", iv.Level, iv.Resamples, DefaultLevel)
				}
			})
		}
	}
}

// TestBootstrapWidth compares the interval of a mean-type metric with the
// normal-theory interval mean +- z * sd / sqrt(n).
func TestBootstrapWidth(t *testing.T) {
	const n = 4000
	r := rand.New(rand.NewPCG(3, 3))
	in := Input{Type: Regression, Truth: make([]float64, n), Pred: [][]float64{make([]float64, n)}}
	errs := make([]float64, n)
	for i := range n {
		in.Pred[0][i] = r.ExpFloat64() // skewed errors
		errs[i] = in.Pred[0][i]
	}
	iv, err := mustLookup(t, "mae").Bootstrap(in, BootstrapConfig{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	z := distuv.UnitNormal.Quantile(0.975)
	want := 2 * z * stat.StdDev(errs, nil) / math.Sqrt(n)
	got := iv.High - iv.Low
	if math.Abs(got/want-1) > 0.1 {
		t.Errorf("got width %v, want %v (normal theory) within 10%%", got, want)
	}
	if mean := stat.Mean(errs, nil); math.Abs((iv.Low+iv.High)/2-mean) > 0.1*want {
		t.Errorf("got centre %v, want near the mean %v", (iv.Low+iv.High)/2, mean)
	}
}

// TestBootstrapCoverage checks that the 90 % interval of mse covers the
// population value about 90 % of the time over simulated datasets.
func TestBootstrapCoverage(t *testing.T) {
	const reps, n = 200, 200
	m := mustLookup(t, "mse")
	covered := 0
	for rep := range reps {
		r := rand.New(rand.NewPCG(uint64(rep), 11))
		in := Input{Type: Regression, Truth: make([]float64, n), Pred: [][]float64{make([]float64, n)}}
		for i := range n {
			in.Pred[0][i] = r.NormFloat64() // population mse is 1
		}
		iv, err := m.Bootstrap(in, BootstrapConfig{Resamples: 400, Level: 0.9, Seed: uint64(rep), Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if iv.Low <= 1 && 1 <= iv.High {
			covered++
		}
	}
	t.Logf("coverage %d/%d", covered, reps)
	if got := float64(covered) / reps; got < 0.82 || got > 0.96 {
		t.Errorf("got coverage %v, want about 0.9", got)
	}
}

func TestBootstrapRankingResamplesQueries(t *testing.T) {
	// Two queries, one perfect and one reversed: every resample draws
	// whole queries, so its NDCG is one of three values.
	in := rank([]float64{2, 1, 0, 2, 1, 0}, []float64{3, 2, 1, 1, 2, 3}, []string{"a", "a", "a", "b", "b", "b"}, 0)
	m := mustLookup(t, "ndcg")
	perQuery := queryNDCG(in, groupRows(in.Group, 6))
	allowed := map[float64]bool{perQuery[0]: true, perQuery[1]: true, (perQuery[0] + perQuery[1]) / 2: true}
	p := m.plan(in, groupRows(in.Group, 6))
	eval := p.evaluator()
	cnt := make([]uint32, 2)
	for r := range 50 {
		drawCounts(cnt, 5, r)
		v, err := eval(cnt)
		if err != nil {
			t.Fatal(err)
		}
		if !allowed[v] {
			t.Fatalf("resample %d (counts %v): got %v, want one of %v", r, cnt, v, allowed)
		}
	}
	iv, err := m.Bootstrap(in, BootstrapConfig{Resamples: 100})
	if err != nil {
		t.Fatal(err)
	}
	if iv.Low != min(perQuery[0], perQuery[1]) || iv.High != max(perQuery[0], perQuery[1]) {
		t.Errorf("got [%v, %v], want the per-query NDCGs %v", iv.Low, iv.High, perQuery)
	}
}

// TestFastPathsMatchMaterialised scores the same resamples through each
// fast plan and through materialised copies.
func TestFastPathsMatchMaterialised(t *testing.T) {
	exact := map[string]bool{"roc_auc": true, "average_precision": true, "roc_auc_ovr": true}
	for _, m := range All() {
		if m.fast == nil {
			continue
		}
		_, confusionBased := m.fast(bootInput(Binary, 10, 1, false), nil).(*confusionPlan)
		for _, weighted := range []bool{false, true} {
			if weighted && !m.weighted {
				continue
			}
			for _, n := range []int{20, 300} {
				for _, in := range inputsFor(m, n, uint64(n), weighted) {
					t.Run(m.Name+"/"+string(in.Type)+"/n="+strconv.Itoa(n)+"/weighted="+strconv.FormatBool(weighted), func(t *testing.T) {
						in, units, err := m.resampling(in)
						if err != nil {
							t.Fatal(err)
						}
						fast := m.fast(in, units)
						if fast == nil {
							t.Fatalf("got no fast plan")
						}
						checkSameResamples(t, in, units, fast.evaluator(), newMaterialised(m, in, units).evaluator(),
							!weighted && (exact[m.Name] || confusionBased))
					})
				}
			}
		}
	}
}

func checkSameResamples(t *testing.T, in Input, units [][]int, fast, slow func([]uint32) (float64, error), exact bool) {
	t.Helper()
	n := len(in.Truth)
	if units != nil {
		n = len(units)
	}
	cnt := make([]uint32, n)
	for r := range 40 {
		drawCounts(cnt, 1, r)
		if r >= 30 { // lopsided resamples: a few units drawn many times
			clear(cnt)
			for j := range n {
				cnt[(j*j*(r-29))%min(n, r-27)]++
			}
		}
		if !weighable(cnt, unitWeights(in, units)) {
			continue // run skips it before scoring
		}
		want, werr := slow(cnt)
		got, gerr := fast(cnt)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("resample %d: fast path got (%v, %v), materialised (%v, %v)", r, got, gerr, want, werr)
		}
		if werr != nil {
			if !errors.Is(werr, ErrUndefined) {
				t.Fatalf("resample %d: materialised got %v", r, werr)
			}
			continue
		}
		if exact && got != want {
			t.Fatalf("resample %d: fast path got %v, materialised %v, want them equal", r, got, want)
		}
		if d := math.Abs(got - want); d > 1e-12*max(1, math.Abs(want)) {
			t.Fatalf("resample %d: fast path got %v, materialised %v (diff %g)", r, got, want, d)
		}
	}
}

func TestCompare(t *testing.T) {
	const n = 500
	r := rand.New(rand.NewPCG(4, 4))
	truth := make([]float64, n)
	good, noise := make([]float64, n), make([]float64, n)
	for i := range n {
		truth[i] = float64(r.IntN(2))
		good[i] = min(1, max(0, 0.5*truth[i]+0.5*r.Float64()))
		noise[i] = r.Float64()
	}
	// Two models of the same quality: good with different noise mixed in.
	alike1, alike2 := make([]float64, n), make([]float64, n)
	for i := range n {
		alike1[i] = 0.7*good[i] + 0.3*r.Float64()
		alike2[i] = 0.7*good[i] + 0.3*r.Float64()
	}
	c := BootstrapConfig{Resamples: 500, Seed: 7}
	tests := []struct {
		name       string
		metric     string
		a, b       []float64
		wantDiff   func(float64) bool
		pLow, pHig float64
	}{
		{"much better", "roc_auc", good, noise, func(d float64) bool { return d > 0.3 }, 0, 0.01},
		{"much worse", "roc_auc", noise, good, func(d float64) bool { return d < -0.3 }, 0.99, 1},
		{"identical", "roc_auc", good, good, func(d float64) bool { return d == 0 }, 1, 1},
		{"lower is better", "log_loss", good, noise, func(d float64) bool { return d > 0.1 }, 0, 0.01},
		{"lower is better, worse", "brier", noise, good, func(d float64) bool { return d < 0 }, 0.99, 1},
		{"alike", "roc_auc", alike1, alike2, func(d float64) bool { return math.Abs(d) < 0.03 }, 0.05, 0.95},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustLookup(t, tc.metric)
			got, err := m.Compare(bin(truth, tc.a), bin(truth, tc.b), c)
			if err != nil {
				t.Fatal(err)
			}
			sa, sb := mustScore(t, tc.metric, bin(truth, tc.a)), mustScore(t, tc.metric, bin(truth, tc.b))
			want := sa - sb
			if !m.HigherIsBetter {
				want = sb - sa
			}
			if got.Diff != want || !tc.wantDiff(got.Diff) {
				t.Errorf("got Diff %v, want %v", got.Diff, want)
			}
			t.Logf("Diff %.4f P %.4f interval [%.4f, %.4f]", got.Diff, got.P, got.Interval.Low, got.Interval.High)
			if got.P < tc.pLow || got.P > tc.pHig {
				t.Errorf("got P %v, want it in [%v, %v]", got.P, tc.pLow, tc.pHig)
			}
			if got.P < 1/float64(1+got.Interval.Resamples) {
				t.Errorf("got P %v, below 1/(1+resamples)", got.P)
			}
			if !(got.Interval.Low <= got.Diff && got.Diff <= got.Interval.High) {
				t.Errorf("got interval [%v, %v], want it around Diff %v", got.Interval.Low, got.Interval.High, got.Diff)
			}
			if tc.name == "identical" && (got.Interval.Low != 0 || got.Interval.High != 0) {
				t.Errorf("got interval [%v, %v], want [0, 0]", got.Interval.Low, got.Interval.High)
			}
		})
	}
}

// TestCompareUsesBootstrapResamples: against a perfect model, whose mse is
// 0 on every resample, the improvement is minus a's resampled mse, so the
// interval mirrors a's Bootstrap interval with the same config.
func TestCompareUsesBootstrapResamples(t *testing.T) {
	in := bootInput(Regression, 300, 5, true)
	perfect := in
	perfect.Pred = [][]float64{in.Truth}
	m := mustLookup(t, "mse")
	c := BootstrapConfig{Resamples: 300, Seed: 8, Level: 0.8}
	iv, err := m.Bootstrap(in, c)
	if err != nil {
		t.Fatal(err)
	}
	cmp, err := m.Compare(in, perfect, c)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(cmp.Interval.Low + iv.High); d > 1e-12 {
		t.Errorf("got low %v, want -%v", cmp.Interval.Low, iv.High)
	}
	if d := math.Abs(cmp.Interval.High + iv.Low); d > 1e-12 {
		t.Errorf("got high %v, want -%v", cmp.Interval.High, iv.Low)
	}
	if cmp.P != 1 {
		t.Errorf("got P %v, want 1", cmp.P)
	}
}

func TestBootstrapSkipsUndefinedResamples(t *testing.T) {
	// 4 positives in 60 rows: about 1.7 % of resamples draw none.
	n := 60
	truth, p := make([]float64, n), make([]float64, n)
	for i := range n {
		p[i] = float64(i) / float64(n)
		if i%15 == 14 {
			truth[i] = 1
		}
	}
	iv, err := mustLookup(t, "roc_auc").Bootstrap(bin(truth, p), BootstrapConfig{Resamples: 1000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if iv.Resamples >= 1000 || iv.Resamples < 950 {
		t.Errorf("got %d resamples, want a few of 1000 left out", iv.Resamples)
	}
}

func TestBootstrapErrors(t *testing.T) {
	good := bootInput(Binary, 50, 1, false)
	oneTrue := bin([]float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
		[]float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	tests := []struct {
		name   string
		metric string
		in     Input
		c      BootstrapConfig
		want   error
	}{
		{"ErrInvalidConfig/negative resamples", "roc_auc", good, BootstrapConfig{Resamples: -1}, ErrInvalidConfig},
		{"ErrInvalidConfig/too many resamples", "roc_auc", good, BootstrapConfig{Resamples: MaxResamples + 1}, ErrInvalidConfig},
		{"ErrInvalidConfig/level 1", "roc_auc", good, BootstrapConfig{Level: 1}, ErrInvalidConfig},
		{"ErrInvalidConfig/level NaN", "roc_auc", good, BootstrapConfig{Level: math.NaN()}, ErrInvalidConfig},
		{"ErrInvalidConfig/negative level", "roc_auc", good, BootstrapConfig{Level: -0.9}, ErrInvalidConfig},
		{"ErrInvalidConfig/negative workers", "roc_auc", good, BootstrapConfig{Workers: -1}, ErrInvalidConfig},
		{"ErrInvalidInput", "roc_auc", bin([]float64{0, 1}, []float64{0.5, 2}), BootstrapConfig{}, ErrInvalidInput},
		{"ErrUnsupportedTask", "rmse", good, BootstrapConfig{}, ErrUnsupportedTask},
		{"ErrUndefined/score", "roc_auc", bin([]float64{1, 1}, []float64{0.5, 0.6}), BootstrapConfig{}, ErrUndefined},
		{"ErrUndefined/one row", "mse", reg([]float64{1}, []float64{2}), BootstrapConfig{}, ErrUndefined},
		{"ErrUndefined/one query", "ndcg", rank([]float64{1, 0}, []float64{1, 2}, nil, 0), BootstrapConfig{}, ErrUndefined},
		{"ErrUndefined/too many undefined resamples", "roc_auc", oneTrue, BootstrapConfig{Resamples: 100}, ErrUndefined},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mustLookup(t, tc.metric).Bootstrap(tc.in, tc.c)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var ie *InputError
			if tc.want != ErrInvalidConfig && (!errors.As(err, &ie) || ie.Metric != tc.metric) {
				t.Errorf("got %v (%T), want an *InputError naming %s", err, err, tc.metric)
			}
		})
	}
	t.Run("zero Metric", func(t *testing.T) {
		if _, err := (Metric{}).Bootstrap(good, BootstrapConfig{}); !errors.Is(err, ErrUnknownMetric) {
			t.Errorf("got %v, want %v", err, ErrUnknownMetric)
		}
	})
}

func TestCompareErrors(t *testing.T) {
	a := bootInput(Ranking, 40, 1, false)
	mod := func(f func(*Input)) Input {
		b := a
		b.Truth = append([]float64(nil), a.Truth...)
		b.Group = append([]string(nil), a.Group...)
		f(&b)
		return b
	}
	tests := []struct {
		name string
		a, b Input
		c    BootstrapConfig
		want error
	}{
		{"ErrUnpaired/rows", a, head(a, 30), BootstrapConfig{}, ErrUnpaired},
		{"ErrUnpaired/truth", a, mod(func(b *Input) { b.Truth[7] = b.Truth[7] + 1 }), BootstrapConfig{}, ErrUnpaired},
		{"ErrUnpaired/group", a, mod(func(b *Input) { b.Group[3] = "other" }), BootstrapConfig{}, ErrUnpaired},
		{"ErrUnpaired/no group", a, mod(func(b *Input) { b.Group = nil }), BootstrapConfig{}, ErrUnpaired},
		{"ErrUnpaired/cutoff", a, mod(func(b *Input) { b.K = 3 }), BootstrapConfig{}, ErrUnpaired},
		{"ErrUnsupportedTask/type", a, mod(func(b *Input) { b.Type = Regression; b.Group = nil }), BootstrapConfig{}, ErrUnsupportedTask},
		{"ErrInvalidInput/b", a, mod(func(b *Input) { b.Truth[0] = -1 }), BootstrapConfig{}, ErrInvalidInput},
		{"ErrInvalidConfig", a, a, BootstrapConfig{Level: 95}, ErrInvalidConfig},
	}
	m := mustLookup(t, "ndcg")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := m.Compare(tc.a, tc.b, tc.c); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("ErrUnpaired/weights", func(t *testing.T) {
		a := bootInput(Regression, 20, 1, true)
		b := a
		b.Weight = append([]float64(nil), a.Weight...)
		b.Weight[4] += 1
		if _, err := mustLookup(t, "mae").Compare(a, b, BootstrapConfig{}); !errors.Is(err, ErrUnpaired) {
			t.Fatalf("got %v, want %v", err, ErrUnpaired)
		}
		b.Weight = nil
		if _, err := mustLookup(t, "mae").Compare(a, b, BootstrapConfig{}); !errors.Is(err, ErrUnpaired) {
			t.Fatalf("got %v, want %v", err, ErrUnpaired)
		}
	})
	t.Run("ErrUnpaired/classes", func(t *testing.T) {
		a := bootInput(Multiclass, 20, 1, false)
		b := a
		b.Pred = append(append([][]float64(nil), a.Pred...), make([]float64, 20))
		if _, err := mustLookup(t, "log_loss").Compare(a, b, BootstrapConfig{}); !errors.Is(err, ErrUnpaired) {
			t.Fatalf("got %v, want %v", err, ErrUnpaired)
		}
	})
	t.Run("ErrUnpaired/type", func(t *testing.T) {
		a := bootInput(Binary, 20, 1, false)
		b := Input{Type: Multiclass, Truth: a.Truth, Pred: [][]float64{make([]float64, 20), make([]float64, 20)}}
		for i, p := range a.Pred[0] {
			b.Pred[0][i], b.Pred[1][i] = 1-p, p
		}
		_, err := mustLookup(t, "log_loss").Compare(a, b, BootstrapConfig{})
		if !errors.Is(err, ErrUnpaired) {
			t.Fatalf("got %v, want %v", err, ErrUnpaired)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	if err := (BootstrapConfig{}).Validate(); err != nil {
		t.Errorf("zero config: got %v, want nil", err)
	}
	c, err := BootstrapConfig{}.withDefaults()
	if err != nil || c.Resamples != DefaultResamples || c.Level != DefaultLevel || c.Workers < 1 || c.Seed != 0 {
		t.Errorf("got %+v, %v, want the defaults", c, err)
	}
}

// TestQuantile pins numpy.quantile(x, q) (method "linear") and checks it
// against gonum's LinInterp, which is Hyndman and Fan's type 4: type 7 at
// q over n values is type 4 at ((n-1)q+1)/n.
func TestQuantile(t *testing.T) {
	x := []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}
	tests := []struct {
		q, want float64
	}{
		// numpy 1.24.2: np.quantile(x, q) for each q.
		{0, 1},
		{1, 512},
		{0.5, 24},
		{0.025, 1.225},
		{0.975, 454.4000000000001},
		{0.05, 1.45},
		{0.95, 396.7999999999997},
		{1.0 / 3, 8},
		{(1 - 0.95) / 2, 1.225},
		{(1 + 0.95) / 2, 454.4000000000001},
	}
	for _, tc := range tests {
		if got := quantile(x, tc.q); got != tc.want {
			t.Errorf("quantile(%v): got %v, want %v", tc.q, got, tc.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 1))
	for n := 1; n < 60; n++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = r.NormFloat64()
		}
		sorted := append([]float64(nil), v...)
		slices.Sort(sorted)
		for _, q := range []float64{0, 0.005, 0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975, 0.995, 1} {
			got := quantile(sorted, q)
			want := stat.Quantile((float64(n-1)*q+1)/float64(n), stat.LinInterp, sorted, nil)
			if math.Abs(got-want) > 1e-12 {
				t.Fatalf("n=%d q=%v: got %v, gonum type 4 mapped to type 7 gives %v", n, q, got, want)
			}
		}
	}
}
