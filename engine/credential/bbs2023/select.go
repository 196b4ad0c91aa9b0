package bbs2023

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// sparse is an array of a selection under construction: only the
// selected indexes are present, and it is compacted (holes dropped,
// order kept) when the selection is finished.
type sparse map[int]any

// parsePointer splits a JSON pointer (RFC 6901) into its reference tokens.
func parsePointer(p string) ([]string, error) {
	if p == "" || p[0] != '/' {
		return nil, fmt.Errorf("%w: JSON pointer %q: must start with '/'", ErrInput, p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(s, "~0", ""), "~1", ""), "~") {
			return nil, fmt.Errorf("%w: JSON pointer %q: bad escape in %q", ErrInput, p, s)
		}
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// initialSelection keeps a node's id (unless it is a blank node id) and
// type, so that a selected value stays attached to its node.
func initialSelection(v any) map[string]any {
	sel := map[string]any{}
	m, ok := v.(map[string]any)
	if !ok {
		return sel
	}
	if id, ok := m["id"].(string); ok && !strings.HasPrefix(id, "_:") {
		sel["id"] = id
	}
	if t, ok := m["type"]; ok {
		sel["type"] = cloneJSON(t)
	}
	return sel
}

// selectJSONLD is the spec's selectJsonLd: the parts of doc the pointers
// name, with the id and type of every node on the way and doc's
// @context. It returns nil for no pointers.
func selectJSONLD(doc map[string]any, pointers []string) (map[string]any, error) {
	if len(pointers) == 0 {
		return nil, nil
	}
	root := initialSelection(doc)
	for _, p := range pointers {
		paths, err := parsePointer(p)
		if err != nil {
			return nil, err
		}
		if err := selectPaths(doc, paths, root, p); err != nil {
			return nil, err
		}
	}
	out := finish(root).(map[string]any)
	out["@context"] = cloneJSON(doc["@context"])
	return out, nil
}

// child returns container[key] for a document or selection container.
func child(container any, key string) (any, bool) {
	switch c := container.(type) {
	case map[string]any:
		v, ok := c[key]
		return v, ok
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(c) || strconv.Itoa(i) != key {
			return nil, false
		}
		return c[i], true
	case sparse:
		i, err := strconv.Atoi(key)
		if err != nil || strconv.Itoa(i) != key {
			return nil, false
		}
		v, ok := c[i]
		return v, ok
	}
	return nil, false
}

func setChild(container any, key string, v any) {
	switch c := container.(type) {
	case map[string]any:
		c[key] = v
	case []any:
		i, _ := strconv.Atoi(key)
		c[i] = v
	case sparse:
		i, _ := strconv.Atoi(key)
		c[i] = v
	}
}

func selectPaths(doc map[string]any, paths []string, sel map[string]any, pointer string) error {
	var value any = doc
	var selectedParent any
	var selectedValue any = sel
	for _, path := range paths {
		selectedParent = selectedValue
		v, ok := child(value, path)
		if !ok {
			return fmt.Errorf("%w: JSON pointer %q does not match the document", ErrInput, pointer)
		}
		value = v
		sv, ok := child(selectedParent, path)
		if !ok {
			switch value.(type) {
			case []any:
				sv = sparse{}
			default:
				sv = initialSelection(value)
			}
			switch selectedParent.(type) {
			case map[string]any, []any, sparse:
				setChild(selectedParent, path, sv)
			default:
				return fmt.Errorf("%w: JSON pointer %q goes through a value that is not an object or array", ErrInput, pointer)
			}
		}
		selectedValue = sv
	}
	switch t := value.(type) {
	case map[string]any:
		merged := map[string]any{}
		if m, ok := selectedValue.(map[string]any); ok {
			for k, v := range m {
				merged[k] = v
			}
		}
		for k, v := range t {
			merged[k] = cloneJSON(v)
		}
		selectedValue = merged
	default:
		selectedValue = cloneJSON(value)
	}
	setChild(selectedParent, paths[len(paths)-1], selectedValue)
	return nil
}

// finish turns the sparse arrays of a selection into compact arrays.
func finish(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = finish(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = finish(e)
		}
		return t
	case sparse:
		keys := make([]int, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = finish(t[k])
		}
		return out
	}
	return v
}
