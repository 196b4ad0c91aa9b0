package metric

import (
	"errors"
	"math"
	"testing"
)

// fuzzInput decodes fuzz bytes into an Input of at most 256 rows: data[0]
// picks the class count, then each row takes one byte for the truth and
// one per prediction column. With corrupt set, one cell is overwritten
// with a value the contract forbids for some task types.
func fuzzInput(data []byte, kind uint8, weighted, corrupt bool) (Input, bool) {
	if len(data) < 2 {
		return Input{}, false
	}
	types := []TaskType{Binary, Multiclass, Regression, Ranking}
	in := Input{Type: types[int(kind)%len(types)], K: int(kind>>2) % 4}
	cols := 1
	if in.Type == Multiclass {
		cols = 2 + int(data[0])%4
	}
	data = data[1:]
	n := min(len(data)/(cols+1), 256)
	if n == 0 {
		return Input{}, false
	}
	in.Truth = make([]float64, n)
	in.Pred = make([][]float64, cols)
	for k := range in.Pred {
		in.Pred[k] = make([]float64, n)
	}
	for i := range n {
		row := data[i*(cols+1) : (i+1)*(cols+1)]
		t, p := row[0], row[1:]
		switch in.Type {
		case Binary:
			in.Truth[i] = float64(t & 1)
			in.Pred[0][i] = float64(p[0]) / 255
		case Multiclass:
			in.Truth[i] = float64(int(t) % cols)
			var s float64
			for _, b := range p {
				s += float64(b) + 1
			}
			for k, b := range p {
				in.Pred[k][i] = (float64(b) + 1) / s
			}
		case Regression:
			in.Truth[i] = float64(int8(t)) / 4
			in.Pred[0][i] = float64(int8(p[0])) / 4
		case Ranking:
			in.Truth[i] = float64(t % 4)
			in.Pred[0][i] = float64(p[0]%16) / 16 // many ties
			in.Group = append(in.Group, string('a'+rune(t>>6)))
		}
	}
	if weighted {
		in.Weight = make([]float64, n)
		for i := range n {
			in.Weight[i] = float64(data[i] % 3)
		}
	}
	if corrupt {
		bad := []float64{math.NaN(), math.Inf(1), -1, 2, math.Copysign(0, -1), 1e308}
		b := data[len(data)-1]
		in.Pred[int(b)%cols][int(b)%n] = bad[int(b>>4)%len(bad)]
	}
	return in, true
}

// FuzzScore feeds arbitrary predictions to every metric. Score must not
// panic, must return a finite value or an *InputError wrapping a sentinel,
// must stay within the metric's range, and must not depend on row order.
func FuzzScore(f *testing.F) {
	for _, c := range loadOracle(f) {
		in := head(c.input(f), min(len(c.Truth), 40))
		cols := len(in.Pred)
		data := []byte{byte(cols - 2)}
		for i := range in.Truth {
			data = append(data, byte(in.Truth[i]))
			for k := range in.Pred {
				data = append(data, byte(min(255, max(0, in.Pred[k][i]*255))))
			}
		}
		kind := map[TaskType]uint8{Binary: 0, Multiclass: 1, Regression: 2, Ranking: 3}[in.Type]
		f.Add(data, kind, false, false)
		f.Add(data, kind|4, true, false)
		f.Add(data, kind, false, true)
	}
	unit := map[string]bool{"roc_auc": true, "roc_auc_ovr": true, "average_precision": true, "brier": true,
		"accuracy": true, "balanced_accuracy": true, "precision": true, "recall": true, "f1": true,
		"f1_macro": true, "f1_micro": true, "f1_weighted": true, "ndcg": true}
	signed := map[string]bool{"mcc": true, "pearson": true, "spearman": true}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, weighted, corrupt bool) {
		if len(data) > 4096 {
			return
		}
		in, ok := fuzzInput(data, kind, weighted, corrupt)
		if !ok {
			return
		}
		rev := reverse(in)
		for _, m := range All() {
			v, err := m.Score(in)
			if err != nil {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Metric != m.Name {
					t.Fatalf("%s: got %v (%T), want an *InputError naming the metric", m.Name, err, err)
				}
				if !errors.Is(err, ErrInvalidInput) && !errors.Is(err, ErrUndefined) && !errors.Is(err, ErrUnsupportedTask) {
					t.Fatalf("%s: got %v, want a sentinel", m.Name, err)
				}
				if m.Supports(in.Type) == errors.Is(err, ErrUnsupportedTask) {
					t.Fatalf("%s on %s: got %v", m.Name, in.Type, err)
				}
				continue
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s: got %v with nil error", m.Name, v)
			}
			const slack = 1e-12
			switch {
			case unit[m.Name] && (v < -slack || v > 1+slack):
				t.Fatalf("%s: got %v, want it in [0, 1]", m.Name, v)
			case signed[m.Name] && (v < -1-slack || v > 1+slack):
				t.Fatalf("%s: got %v, want it in [-1, 1]", m.Name, v)
			case !m.HigherIsBetter && v < 0:
				t.Fatalf("%s: got %v, want a loss >= 0", m.Name, v)
			case m.HigherIsBetter && v > 1+slack:
				t.Fatalf("%s: got %v, want at most 1", m.Name, v)
			}
			w, err := m.Score(rev)
			if err != nil {
				t.Fatalf("%s: reversed rows: %v", m.Name, err)
			}
			if d := math.Abs(v - w); d > 1e-9*max(1, math.Abs(v)) {
				t.Fatalf("%s: got %v on reversed rows, want %v", m.Name, w, v)
			}
		}
	})
}

func reverse(in Input) Input {
	out := in
	rev := func(v []float64) []float64 {
		if v == nil {
			return nil
		}
		r := make([]float64, len(v))
		for i, x := range v {
			r[len(v)-1-i] = x
		}
		return r
	}
	out.Truth = rev(in.Truth)
	out.Weight = rev(in.Weight)
	out.Pred = make([][]float64, len(in.Pred))
	for k := range in.Pred {
		out.Pred[k] = rev(in.Pred[k])
	}
	if in.Group != nil {
		out.Group = make([]string, len(in.Group))
		for i, g := range in.Group {
			out.Group[len(in.Group)-1-i] = g
		}
	}
	return out
}

// FuzzBootstrap checks, on arbitrary predictions, that every fast
// resampling path agrees with scoring materialised resamples, and that
// Bootstrap returns an ordered finite interval or an *InputError.
func FuzzBootstrap(f *testing.F) {
	for _, c := range loadOracle(f) {
		in := head(c.input(f), min(len(c.Truth), 40))
		data := []byte{byte(len(in.Pred) - 2)}
		for i := range in.Truth {
			data = append(data, byte(in.Truth[i]))
			for k := range in.Pred {
				data = append(data, byte(min(255, max(0, in.Pred[k][i]*255))))
			}
		}
		kind := map[TaskType]uint8{Binary: 0, Multiclass: 1, Regression: 2, Ranking: 3}[in.Type]
		f.Add(data, kind, false, uint64(1))
		f.Add(data, kind|4, true, uint64(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, weighted bool, seed uint64) {
		if len(data) > 2048 {
			return
		}
		in, ok := fuzzInput(data, kind, weighted, false)
		if !ok {
			return
		}
		for _, m := range All() {
			if _, err := m.Score(in); err != nil {
				continue
			}
			rin, units, err := m.resampling(in)
			if err != nil {
				if !errors.Is(err, ErrUndefined) {
					t.Fatalf("%s: resampling: got %v, want ErrUndefined", m.Name, err)
				}
				continue
			}
			if m.fast != nil {
				if fast := m.fast(rin, units); fast != nil {
					checkSameResamples(t, rin, units, fast.evaluator(), newMaterialised(m, rin, units).evaluator(), false)
				}
			}
			iv, err := m.Bootstrap(in, BootstrapConfig{Resamples: 20, Seed: seed, Workers: 2})
			if err != nil {
				var ie *InputError
				if !errors.As(err, &ie) || !errors.Is(err, ErrUndefined) {
					t.Fatalf("%s: Bootstrap: got %v, want an *InputError wrapping ErrUndefined", m.Name, err)
				}
				continue
			}
			if !(iv.Low <= iv.High) || math.IsInf(iv.Low, 0) || math.IsInf(iv.High, 0) || iv.Resamples < 18 {
				t.Fatalf("%s: got %+v, want a finite ordered interval from >= 18 resamples", m.Name, iv)
			}
		}
	})
}
