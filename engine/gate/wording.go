package gate

import (
	"fmt"
	"strconv"
	"strings"
)

// Describe says a result in words, for the CLI and the web pages: the
// statistic measured, with its unit, against the bound it was held to
// ("p-value 0.31, needs < 0.05 (one-sided paired bootstrap against the
// baseline)"), never a bare number. It does not say passed or failed:
// the caller shows r.Passed its own way. higher is the task metric's
// direction, which min_score's bound depends on.
func Describe(r Result, higher bool) string {
	if r.Hidden {
		return "hidden until the task closes (" + bound(r, higher) + ")"
	}
	switch r.Name {
	case "min_score":
		return fmt.Sprintf("score %s, %s", num(r.Value), bound(r, higher))
	case "beats_baseline":
		if r.Detail == noBaseline {
			return "no baseline submission to compare with; " + bound(r, higher)
		}
		return fmt.Sprintf("p-value %s, %s (one-sided paired bootstrap against the baseline)", num(r.Value), bound(r, higher))
	case "max_latency_ms_per_1k_rows":
		if r.Detail == noRows {
			return "no rows were predicted; " + bound(r, higher)
		}
		return fmt.Sprintf("%s ms per 1,000 rows, %s", num(r.Value), bound(r, higher))
	case "max_memory_mb":
		return fmt.Sprintf("%s MB of guest memory, %s", num(r.Value), bound(r, higher))
	case "max_module_mb":
		return fmt.Sprintf("a module of %s MB, %s", num(r.Value), bound(r, higher))
	case "deterministic":
		switch {
		case r.Passed:
			return "the same outputs for shuffled rows and another batch size"
		case r.Detail != "":
			return r.Detail
		}
		return "outputs changed with row order or batch size"
	case "valid_outputs":
		if r.Value == 0 {
			return "every output valid"
		}
		s := fmt.Sprintf("%s with an invalid output, needs none", rows(r.Value))
		if r.Detail != "" {
			s += " (first: " + r.Detail + ")"
		}
		return s
	}
	s := fmt.Sprintf("value %s, threshold %s", num(r.Value), num(r.Threshold))
	if r.Detail != "" {
		s += " (" + r.Detail + ")"
	}
	return s
}

// Title is a gate's name for people: "minimum score" for min_score.
func Title(name string) string {
	switch name {
	case "min_score":
		return "minimum score"
	case "beats_baseline":
		return "beats the baseline"
	case "max_latency_ms_per_1k_rows":
		return "latency"
	case "max_memory_mb":
		return "memory"
	case "max_module_mb":
		return "module size"
	case "valid_outputs":
		return "valid outputs"
	}
	return strings.ReplaceAll(name, "_", " ")
}

// bound says the threshold a result was held to.
func bound(r Result, higher bool) string {
	switch r.Name {
	case "min_score":
		if higher {
			return "needs ≥ " + num(r.Threshold)
		}
		return "needs ≤ " + num(r.Threshold)
	case "beats_baseline":
		return "needs p-value < " + num(r.Threshold)
	case "max_latency_ms_per_1k_rows":
		return "limit " + num(r.Threshold) + " ms"
	case "max_memory_mb", "max_module_mb":
		return "limit " + num(r.Threshold) + " MB"
	case "deterministic":
		return "needs identical outputs"
	case "valid_outputs":
		return "needs every output valid"
	}
	return "threshold " + num(r.Threshold)
}

func rows(v float64) string {
	if v == 1 {
		return "1 row"
	}
	return num(v) + " rows"
}

// num formats a measurement: up to 4 significant digits.
func num(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// Details that Describe words itself.
const (
	noBaseline = "no baseline submission to compare with"
	noRows     = "no rows were predicted"
)
